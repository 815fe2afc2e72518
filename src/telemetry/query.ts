import { join } from "node:path";
import { compareEvents, type Event } from "../events/event.js";
import { epochMicros, normalizeTimestamp } from "../events/timestamp.js";
import { EVENT_LOG_FILE } from "./emit.js";
import { TelemetryError } from "./errors.js";
import { listFeatureDirs } from "./features.js";
import { SimpleJsonStore } from "./json-store.js";
import { UnsafeFileError } from "./project-paths.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

/**
 * Which events a query returns. Every field is optional and they are AND-ed. Payload fields
 * (`wpId`, `agent`, `model`, `role`, `success`) compare exactly with the event's payload.
 */
export interface EventFilter {
  readonly eventType?: string | undefined;
  readonly wpId?: string | undefined;
  readonly agent?: string | undefined;
  readonly model?: string | undefined;
  readonly role?: string | undefined;
  /** Events at or after this moment. A naive time is UTC; a date alone is that day's start. */
  readonly since?: string | Date | undefined;
  /** Events at or before this moment. A naive time is UTC; a date alone includes that whole day. */
  readonly until?: string | Date | undefined;
  readonly success?: boolean | undefined;
}

export interface QueryOptions {
  /** Where malformed-line and unreadable-log warnings go; default stderr. */
  readonly warn?: WarningSink;
}

export interface ProjectQueryOptions extends QueryOptions {
  /** Only features whose folder name matches this prefix or glob (`043`, `04*`). */
  readonly feature?: string | undefined;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MICROS_PER_DAY = 86_400_000_000;

/**
 * A `since`/`until` bound as inclusive microseconds since the epoch. A date-only `until` is the
 * last microsecond of that day, so `--until 2026-02-16` includes the 16th.
 */
export function timeBound(value: string | Date, bound: "since" | "until"): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new TelemetryError("INVALID_FILTER", `${bound}: invalid Date`);
    return ms * 1000;
  }
  const text = value.trim();
  const dateOnly = DATE_ONLY.test(text);
  const ts = normalizeTimestamp(dateOnly ? `${text}T00:00:00` : text);
  if (typeof ts !== "string") {
    throw new TelemetryError(
      "INVALID_FILTER",
      `invalid --${bound} date ${JSON.stringify(value)}: expected ISO 8601, e.g. 2026-01-31 or 2026-01-31T09:30:00+00:00`,
    );
  }
  const micros = epochMicros(ts);
  return dateOnly && bound === "until" ? micros + MICROS_PER_DAY - 1 : micros;
}

/** A filter whose date bounds are parsed (inclusive epoch microseconds): see `parseFilter`. */
export interface ParsedFilter extends Omit<EventFilter, "since" | "until"> {
  readonly sinceMicros: number | undefined;
  readonly untilMicros: number | undefined;
}

/**
 * Parses a filter's date bounds, once, where a query comes in (a bad one throws a
 * TelemetryError before any file is read); a parsed filter is returned as it is.
 */
export function parseFilter(filter: EventFilter | ParsedFilter = {}): ParsedFilter {
  if ("sinceMicros" in filter) return filter;
  const { since, until, ...fields } = filter;
  return {
    ...fields,
    sinceMicros: since === undefined ? undefined : timeBound(since, "since"),
    untilMicros: until === undefined ? undefined : timeBound(until, "until"),
  };
}

/** The filter as one predicate (a filter not parsed yet is parsed here). */
export function compileFilter(filter: EventFilter | ParsedFilter = {}): (event: Event) => boolean {
  const parsed = parseFilter(filter);
  const since = parsed.sinceMicros;
  const until = parsed.untilMicros;
  const payloadChecks: [string, string | boolean][] = [];
  const add = (key: string, value: string | boolean | undefined) => {
    if (value !== undefined) payloadChecks.push([key, value]);
  };
  add("wp_id", parsed.wpId);
  add("agent", parsed.agent);
  add("model", parsed.model);
  add("role", parsed.role);
  add("success", parsed.success);
  const { eventType } = parsed;
  return (event) => {
    if (eventType !== undefined && event.event_type !== eventType) return false;
    for (const [key, value] of payloadChecks) if (event.payload[key] !== value) return false;
    if (since === undefined && until === undefined) return true;
    const at = epochMicros(event.timestamp);
    return (since === undefined || at >= since) && (until === undefined || at <= until);
  };
}

/**
 * One feature's matching events in file order, without holding them all. A missing folder or
 * log yields nothing; an unreadable log is one warning and yields nothing more.
 */
export async function* streamExecutionEvents(
  featureDir: string,
  filter: EventFilter | ParsedFilter = {},
  options: QueryOptions = {},
): AsyncGenerator<Event> {
  yield* streamLog(featureDir, compileFilter(filter), options.warn ?? stderrWarningSink);
}

async function* streamLog(
  featureDir: string,
  matches: (event: Event) => boolean,
  warn: WarningSink,
): AsyncGenerator<Event> {
  const logPath = join(featureDir, EVENT_LOG_FILE);
  try {
    for await (const event of new SimpleJsonStore(logPath, { warn }).events()) {
      if (matches(event)) yield event;
    }
  } catch (e) {
    // One unreadable log (a directory, no permission) must not hide every other feature's costs.
    const reason =
      e instanceof UnsafeFileError
        ? e.message
        : ((e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e)));
    warn({ code: "LOG_UNREADABLE", file: logPath, message: `${logPath}: not read (${reason})` });
  }
}

/** One feature's matching events, sorted by (lamport_clock, node_id) as the store contract says. */
export async function queryExecutionEvents(
  featureDir: string,
  filter: EventFilter = {},
  options: QueryOptions = {},
): Promise<Event[]> {
  return collectSorted(streamExecutionEvents(featureDir, filter, options));
}

/**
 * Matching events of every `kitty-specs/*\/execution.events.jsonl` in the project (or of the
 * features `options.feature` selects), feature by feature in file order.
 */
export async function* streamProjectEvents(
  repoRoot: string,
  filter: EventFilter = {},
  options: ProjectQueryOptions = {},
): AsyncGenerator<Event> {
  const warn = options.warn ?? stderrWarningSink;
  const matches = compileFilter(filter);
  for (const { dir } of await listFeatureDirs(repoRoot, { pattern: options.feature, warn })) {
    yield* streamLog(dir, matches, warn);
  }
}

/** Every matching event of the project, sorted by (lamport_clock, node_id). */
export async function queryProjectEvents(
  repoRoot: string,
  filter: EventFilter = {},
  options: ProjectQueryOptions = {},
): Promise<Event[]> {
  return collectSorted(streamProjectEvents(repoRoot, filter, options));
}

async function collectSorted(events: AsyncIterable<Event>): Promise<Event[]> {
  const all: Event[] = [];
  for await (const event of events) all.push(event);
  return all.sort(compareEvents);
}
