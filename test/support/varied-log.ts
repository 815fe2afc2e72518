import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createEvent, serializeEvent } from "../../src/events/event.js";
import { utcTimestampFromMicros } from "../../src/events/timestamp.js";
import { EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import { EXECUTION_FLOAT_KEYS } from "../../src/telemetry/execution-payload.js";

const AGENTS = ["claude", "codex", "gemini", null, ""] as const;
const MODELS = [
  "claude-sonnet-4-5",
  "gpt-5.1-codex",
  "gemini-2.5-pro",
  "acme-local",
  null,
] as const;
const ROLES = ["implementer", "reviewer", null] as const;

/** A deterministic pseudo-random number in [0, 1) for step `i` (no state, so logs are reproducible). */
function noise(i: number, salt: number): number {
  const x = Math.sin(i * 12.9898 + salt * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

/** A valid execution-event line in the on-disk format (Python's json.dumps, sorted keys). */
export function eventLine(i: number, feature: string): string {
  const micros = Date.UTC(2026, 8, 1) * 1000 + i * 61_000_123;
  const pick = <T>(values: readonly T[], salt: number): T =>
    values[Math.floor(noise(i, salt) * values.length)] as T;
  const tokens = (salt: number, max: number) =>
    noise(i, salt) < 0.15 ? null : Math.floor(noise(i, salt + 1) * max);
  const payload: Record<string, Json> = {
    wp_id: noise(i, 9) < 0.05 ? null : `WP0${1 + (i % 7)}`,
    agent: pick(AGENTS, 1),
    role: pick(ROLES, 2),
    model: pick(MODELS, 3),
    input_tokens: tokens(4, 300_000),
    output_tokens: tokens(6, 40_000),
    cost_usd: noise(i, 8) < 0.5 ? null : Math.floor(noise(i, 10) * 500_000) / 100_000,
    duration_ms: i * 17,
    success: noise(i, 11) < 0.1 ? false : noise(i, 12) < 0.05 ? null : true,
    error: noise(i, 11) < 0.1 ? 'exit 1: "quoted" \\ and \u00e9' : null,
    exit_code: noise(i, 11) < 0.1 ? 1 : 0,
  };
  if (noise(i, 13) < 0.3) payload.cache_read_tokens = Math.floor(noise(i, 14) * 900_000);
  if (noise(i, 15) < 0.2) payload.cache_write_tokens = Math.floor(noise(i, 16) * 50_000);
  if (noise(i, 17) < 0.1) payload.reasoning_tokens = 1234;
  if (noise(i, 18) < 0.1) payload.cost_source = "reported";
  if (noise(i, 20) < 0.3) Object.assign(payload, perModel(i, payload.model as string | null));
  if (noise(i, 25) < 0.05) payload.untrusted_cost_usd = 0.0123;
  if (noise(i, 26) < 0.5) payload.source = pick(["orchestrate", "emit", "import"] as const, 27);
  const event = createEvent({
    event_id: ulidLike(micros / 1000, i),
    event_type: noise(i, 19) < 0.03 ? "WPStatusChanged" : "ExecutionEvent",
    aggregate_id: feature,
    timestamp: utcTimestampFromMicros(micros),
    node_id: "cli",
    lamport_clock: i,
    payload,
  });
  return serializeEvent(event, EXECUTION_FLOAT_KEYS);
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Usage per model, the totals their sums: the event's model and a helper, each with 1-hour
 * cache writes, sometimes its own cost, and sometimes long-context sums (at a threshold the
 * table knows, or at one it does not, or repeated, or not nested: a log written by hand).
 */
function perModel(i: number, model: string | null): Record<string, Json> {
  const entry = (name: string | null, salt: number): Record<string, Json> => {
    const write = Math.floor(noise(i, salt) * 40_000);
    const result: Record<string, Json> = {
      cache_read_tokens: Math.floor(noise(i, salt + 1) * 500_000),
      cache_write_1h_tokens: Math.floor(write * noise(i, salt + 2)),
      cache_write_tokens: write,
      cost_usd: noise(i, salt + 3) < 0.5 ? null : Math.floor(noise(i, salt + 4) * 90_000) / 100_000,
      input_tokens: Math.floor(noise(i, salt + 5) * 250_000),
      model: name,
      output_tokens: Math.floor(noise(i, salt + 6) * 30_000),
      reasoning_tokens: 0,
    };
    const long = noise(i, salt + 7);
    if (long < 0.4) {
      const part = (k: number) =>
        Math.floor(
          (result[k === 0 ? "input_tokens" : "output_tokens"] as number) * noise(i, salt + 8 + k),
        );
      const lc = (above: number) => ({
        above_tokens: above,
        cache_read_tokens: 0,
        cache_write_1h_tokens: 0,
        cache_write_tokens: 0,
        input_tokens: part(0),
        output_tokens: part(1),
      });
      result.long_context =
        long < 0.2
          ? [lc(200_000)]
          : long < 0.3
            ? [lc(200_000), lc(272_000)]
            : long < 0.35
              ? [lc(150_000)]
              : // A repeated threshold (the scanner leaves it to the full parse): a few lines only.
                i % 50 === 14
                ? [lc(272_000), lc(272_000)]
                : [lc(272_000)];
    }
    return result;
  };
  const models = [entry(model ?? "claude-sonnet-4-5", 30), entry("claude-haiku-4-5", 50)];
  const sum = (key: string) => models.reduce((n, m) => n + (m[key] as number), 0);
  return {
    models,
    input_tokens: sum("input_tokens"),
    output_tokens: sum("output_tokens"),
    cache_read_tokens: sum("cache_read_tokens"),
    cache_write_tokens: sum("cache_write_tokens"),
    cache_write_1h_tokens: sum("cache_write_1h_tokens"),
  };
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A valid ULID whose time part is `ms` and whose random part is derived from `i`. */
function ulidLike(ms: number, i: number): string {
  let time = "";
  let t = Math.floor(ms);
  for (let k = 0; k < 10; k++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rest = "";
  for (let k = 0; k < 16; k++) rest += CROCKFORD[Math.floor(noise(i, 100 + k) * 32)];
  return time + rest;
}

/**
 * Lines that every reader must treat alike: the valid ones of `eventLine`, and among them the
 * awkward cases a real log holds (each listed once per `every` lines).
 */
export function variedLog(count: number, feature: string, every = 50): Buffer {
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, "utf8"));
  let lastValid = "";
  for (let i = 1; i <= count; i++) {
    const line = eventLine(i, feature);
    const kind = i % every;
    if (kind === 1 && i > 1)
      text(`${lastValid}\n`); // a line repeated (a git merge)
    else if (kind === 2) text('{"event_id": "torn\n');
    else if (kind === 3) text(`${line.replace(/"input_tokens": (\d+)/, '"input_tokens": "$1"')}\n`);
    else if (kind === 4) text("\n   \n");
    else if (kind === 5) parts.push(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    else if (kind === 6)
      text(`${line}\r\n`); // a Windows checkout
    else if (kind === 7)
      text(`${line.replace('"agent": "', '"agent": "\\u0063')}\n`); // an escape
    else if (kind === 8) text(`${line.replace('"node_id": "cli"', '"node_id": "cl\u00ef"')}\n`);
    else if (kind === 9)
      text(`${line.replace('"lamport_clock": ', '"lamport_clock": 1e1, "x": ')}\n`);
    else if (kind === 10) text(`${line.replace('"payload": {', '"payload": {"agent": "dup", ')}\n`);
    else if (kind === 11) text(`${line.replace("+00:00", "Z")}\n`);
    else if (kind === 12) text(`${line.replace('"duration_ms": ', '"duration_ms": -')}\n`);
    else if (kind === 13)
      text(
        `${line.replace('"payload": {', '"extra": [1, {"a": null}], "payload": {"files": ["a.ts"], ')}\n`,
      );
    else text(`${line}\n`);
    lastValid = line;
  }
  return Buffer.concat(parts);
}

/** Writes `variedLog` lines as the log of `feature` in `root`; returns the log's path. */
export async function writeVariedLog(
  root: string,
  feature: string,
  count: number,
  options: { bom?: boolean; unterminated?: boolean } = {},
): Promise<string> {
  const path = join(root, "kitty-specs", feature, EVENT_LOG_FILE);
  await mkdir(dirname(path), { recursive: true });
  let bytes = variedLog(count, feature);
  if (options.bom) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  if (options.unterminated)
    bytes = Buffer.concat([bytes, Buffer.from(eventLine(count + 1, feature))]);
  await writeFile(path, bytes);
  return path;
}
