import { execFile } from "node:child_process";
import { basename } from "node:path";
import type pg from "pg";
import { type Event, serializeEvent } from "../../events/event.js";
import { epochMicros } from "../../events/timestamp.js";
import { EXECUTION_EVENT_TYPE, EXECUTION_FLOAT_KEYS } from "../../telemetry/execution-payload.js";
import { listFeatureDirs } from "../../telemetry/features.js";
import { streamExecutionEvents } from "../../telemetry/query.js";
import { EventFields } from "../../telemetry/scan/event-fields.js";
import { rowKeyAndSums, UsageRows } from "../../telemetry/usage-rows.js";
import type { WarningSink } from "../../telemetry/warnings.js";
import { SentIds } from "../export-state.js";
import { connect, inTransaction, reasonOf, redactedUrl, TeamStoreError } from "./connect.js";
import { migrate } from "./migrate.js";

export interface SyncOptions {
  readonly repoRoot: string;
  /** postgres://USER:PASSWORD@HOST:PORT/DATABASE */
  readonly url: string;
  /** The project's identity in the store; default: the git remote `origin`, else the folder name. */
  readonly project?: string | undefined;
  readonly warn: WarningSink;
  /** Events per transaction (default 2,000). */
  readonly batchSize?: number;
  /** Forget what this clone recorded as synced and offer every event again (the store dedupes). */
  readonly full?: boolean;
  /** Called after each committed batch with the events synced so far. */
  readonly onProgress?: (synced: number) => void;
}

export interface SyncResult {
  readonly project: string;
  /** Events offered to the store in this run (new to this clone's record). */
  readonly offered: number;
  /** Of those, events the store did not have yet. */
  readonly inserted: number;
  /** Events skipped because this clone had synced them before. */
  readonly alreadySynced: number;
}

// The usage columns, from the payload keys of the same names (null when absent or not numbers).
const TOKEN_COLUMNS = [
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "reasoning_tokens",
] as const;
const TEXT_COLUMNS = ["wp_id", "agent", "role", "model", "source"] as const;

/**
 * Pushes this project's events into the PostgreSQL team store: each batch in one transaction,
 * idempotent by (project, event id), so that many clones and CI runs may sync at once, and a
 * sync killed midway loses and duplicates nothing when run again. What this clone committed
 * is recorded in `.kittify/export/` so a sync with nothing new sends nothing.
 */
export async function syncToPostgres(options: SyncOptions): Promise<SyncResult> {
  const project = options.project ?? (await projectIdentity(options.repoRoot));
  const client = await connect(options.url);
  try {
    await guarded(options.url, () => migrate(client));
    await guarded(options.url, () =>
      client.query(
        "INSERT INTO spec_kitty_projects (project_id) VALUES ($1) ON CONFLICT (project_id) DO UPDATE SET last_synced_at = now()",
        [project],
      ),
    );
    const synced = await SentIds.load(
      options.repoRoot,
      `${redactedUrl(options.url)}#${project}`,
      "pg",
    );
    let offered = 0;
    let inserted = 0;
    let alreadySynced = 0;
    let batch: Event[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      inserted += await guarded(options.url, () =>
        inTransaction(client, () => insertBatch(client, project, events)),
      );
      await synced.add(events.map((e) => e.event_id));
      offered += events.length;
      options.onProgress?.(offered);
    };
    const seen = new Set<string>();
    for await (const event of projectEvents(options.repoRoot, options.warn)) {
      if (seen.has(event.event_id)) continue;
      seen.add(event.event_id);
      if (!options.full && synced.has(event.event_id)) {
        alreadySynced++;
        continue;
      }
      batch.push(event);
      if (batch.length >= (options.batchSize ?? 2000)) await flush();
    }
    await flush();
    return { project, offered, inserted, alreadySynced };
  } finally {
    await client.end().catch(() => {});
  }
}

async function guarded<T>(url: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof TeamStoreError) throw e;
    throw new TeamStoreError("PG_QUERY_FAILED", `${redactedUrl(url)}: ${reasonOf(e)}`);
  }
}

async function* projectEvents(repoRoot: string, warn: WarningSink): AsyncGenerator<Event> {
  const filter = { eventType: EXECUTION_EVENT_TYPE };
  for (const { dir } of await listFeatureDirs(repoRoot, { warn })) {
    yield* streamExecutionEvents(dir, filter, { warn });
  }
}

const fields = new EventFields();

// PostgreSQL's text and jsonb hold no NUL character (the line keeps it, escaped).
const pgText = (value: string | null) => (value === null ? null : value.replaceAll("\0", "\ufffd"));
const pgJson = (value: unknown) => JSON.stringify(value).replaceAll("\\u0000", "\\ufffd");

/** Inserts events and their usage parts (skipping any the store has); returns how many were new. */
async function insertBatch(
  client: pg.Client,
  project: string,
  events: readonly Event[],
): Promise<number> {
  // One array per column (unnest makes them rows again): 24 event columns, 6 part columns.
  const columns: unknown[][] = Array.from({ length: 24 }, () => []);
  const parts: unknown[][] = Array.from({ length: 6 }, () => []);
  for (const event of events) {
    const p = event.payload as Readonly<Record<string, unknown>>;
    const micros = epochMicros(event.timestamp);
    const text = (key: string) => pgText(typeof p[key] === "string" ? p[key] : null);
    const number = (key: string) => (typeof p[key] === "number" ? p[key] : null);
    const row = [
      event.event_id,
      pgText(event.event_type),
      pgText(event.aggregate_id),
      pgText(event.node_id),
      event.lamport_clock,
      event.causation_id,
      event.timestamp,
      micros,
      ...TEXT_COLUMNS.map(text),
      typeof p.success === "boolean" ? p.success : null,
      ...TOKEN_COLUMNS.map(number),
      number("cost_usd"),
      number("duration_ms"),
      pgJson(p),
      serializeEvent(event, EXECUTION_FLOAT_KEYS),
    ];
    for (const [i, value] of row.entries()) columns[i]?.push(value);
    const rows = new UsageRows();
    rows.add(fields.fromEvent(event));
    let part = 0;
    for (const usage of rows) {
      const { key, sums } = rowKeyAndSums(usage);
      for (const [i, value] of [
        event.event_id,
        part++,
        event.aggregate_id,
        micros,
        JSON.stringify(key),
        `{${sums.join(",")}}`,
      ].entries()) {
        parts[i]?.push(value);
      }
    }
  }
  const inserted = await client.query(
    `INSERT INTO spec_kitty_events (project_id, event_id, event_type, aggregate_id, node_id,
       lamport_clock, causation_id, occurred_at, occurred_us, wp_id, agent, role, model, source,
       success, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
       cache_write_1h_tokens, reasoning_tokens, cost_usd, duration_ms, payload, line)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
       $7::text[], $8::timestamptz[], $9::bigint[], $10::text[], $11::text[], $12::text[],
       $13::text[], $14::text[], $15::boolean[], $16::bigint[], $17::bigint[], $18::bigint[],
       $19::bigint[], $20::bigint[], $21::bigint[], $22::float8[], $23::float8[], $24::jsonb[],
       $25::text[])
     ON CONFLICT (project_id, event_id) DO NOTHING
     RETURNING event_id`,
    [project, ...columns],
  );
  const fresh = new Set(inserted.rows.map((r: { event_id: string }) => r.event_id));
  if (fresh.size > 0) {
    const keep = (parts[0] ?? []).map((id) => fresh.has(id as string));
    const only = parts.map((column) => column.filter((_, i) => keep[i]));
    await client.query(
      `INSERT INTO spec_kitty_usage_parts (project_id, event_id, part, aggregate_id, occurred_us, row_key, sums)
       SELECT $1, e, p, a, t, k, s::numeric[] FROM unnest($2::text[], $3::smallint[], $4::text[], $5::bigint[], $6::jsonb[], $7::text[]) AS u(e, p, a, t, k, s)`,
      [project, ...only],
    );
  }
  return fresh.size;
}

/**
 * The project's name in the store: the `origin` remote without credentials or `.git` (two
 * clones of one repository are one project), else the project folder's name.
 */
export async function projectIdentity(repoRoot: string): Promise<string> {
  const remote = await new Promise<string>((resolve) => {
    execFile("git", ["config", "--get", "remote.origin.url"], { cwd: repoRoot }, (error, stdout) =>
      resolve(error === null ? stdout.trim() : ""),
    );
  });
  if (remote === "") return basename(repoRoot);
  return remote
    .replace(/^[a-z+]+:\/\/(?:[^@/]*@)?/i, "")
    .replace(/^[^@/]+@([^:]+):/, "$1/")
    .replace(/\.git$/, "");
}
