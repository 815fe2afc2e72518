import type { Event } from "../events/event.js";
import { epochMicros, normalizeTimestamp } from "../events/timestamp.js";
import { TelemetryError } from "./errors.js";
import { EVENT_SOURCES } from "./execution-payload.js";
import { addDays, type LocalDate, localDateOf, startOfLocalDay } from "./time-zone.js";

// Which events a query or report takes, parsed where it comes in: apart from the store's reads
// (query.ts), so that a report that reads no event line (a warm one) loads none of them.

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
  /** Events at or after this moment (see `timeBound` for the forms). A naive time is UTC; a date alone is that day's start. */
  readonly since?: string | Date | undefined;
  /** Events at or before this moment. A naive time is UTC; a date alone includes that whole day, a time without fraction its whole second. */
  readonly until?: string | Date | undefined;
  readonly success?: boolean | undefined;
  /**
   * Events from any of these origins (the payload's `source`): `orchestrate`, `emit`, `import`,
   * or `unknown` for events without one (older logs, the Python CLI's).
   */
  readonly origin?: readonly string[] | undefined;
}

/** How reports name the origin of events that do not record one. */
export const UNKNOWN_ORIGIN = "unknown";
/** The values an origin filter takes. */
export const ORIGINS: readonly string[] = [...EVENT_SOURCES, UNKNOWN_ORIGIN];

/** The payload `source` an origin stands for (undefined: none recorded). */
function sourceOf(origin: string): string | undefined {
  return origin === UNKNOWN_ORIGIN ? undefined : origin;
}

function checkOrigins(origins: readonly string[] | undefined): void {
  const bad = origins?.find((o) => !ORIGINS.includes(o));
  if (bad === undefined && origins?.length !== 0) return;
  throw new TelemetryError(
    "INVALID_FILTER",
    `invalid --origin ${JSON.stringify(bad ?? "")}: use ${ORIGINS.join(", ")} (${UNKNOWN_ORIGIN}: events that do not record one), or several joined by commas`,
  );
}

const DATE_ONLY = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const RELATIVE_DAYS = /^(\d{1,5})d$/;
// The precision of a date-time: minutes, seconds, or a fraction (then the bound is exact).
const PRECISION = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([.,]\d+)?/;
const MICROS_PER_DAY = 86_400_000_000;

/** What a date bound is read against: the clock for relative forms and the days' time zone. */
export interface DateContext {
  /** Now, in epoch milliseconds; default the system clock. */
  readonly now?: (() => number) | undefined;
  /** The IANA zone whose days `2026-02-16`, `20260216`, `today` and `yesterday` are; default UTC. */
  readonly timeZone?: string | undefined;
}

/**
 * A `since`/`until` bound as inclusive microseconds since the epoch. A date (`2026-02-16`,
 * `20260216`, `today`, `yesterday`) is a whole day in the context's zone: its start as `since`,
 * its last microsecond as `until`. `7d` is 7 x 24 hours before now. A date-time without a
 * fraction covers its whole last unit as `until` (`09:12:58` up to 09:12:58.999999); a
 * date-time without an offset is UTC, as the events table shows times.
 */
export function timeBound(
  value: string | Date,
  bound: "since" | "until",
  context: DateContext = {},
): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new TelemetryError("INVALID_FILTER", `${bound}: invalid Date`);
    return ms * 1000;
  }
  const text = value.trim().toLowerCase();
  const zone = context.timeZone ?? "UTC";
  const nowMs = () => (context.now ?? Date.now)();
  const day = (date: LocalDate) => {
    const start = startOfLocalDay(date, zone) * 1000;
    return bound === "since" ? start : startOfLocalDay(addDays(date, 1), zone) * 1000 - 1;
  };
  if (text === "today") return day(localDateOf(nowMs(), zone));
  if (text === "yesterday") return day(addDays(localDateOf(nowMs(), zone), -1));
  const relative = RELATIVE_DAYS.exec(text);
  if (relative) return nowMs() * 1000 - Number(relative[1]) * MICROS_PER_DAY;
  const date = DATE_ONLY.exec(text);
  if (date && validDate(date[0], Number(date[1]), Number(date[2]), Number(date[3]))) {
    return day({ year: Number(date[1]), month: Number(date[2]), day: Number(date[3]) });
  }
  const ts = date ? undefined : normalizeTimestamp(value.trim());
  if (typeof ts !== "string") {
    throw new TelemetryError(
      "INVALID_FILTER",
      `invalid --${bound} date ${JSON.stringify(value)}: expected a date (2026-01-31, 20260131, today, yesterday), a number of days back (7d) or an ISO 8601 date-time (2026-01-31T09:30:00+00:00)`,
    );
  }
  const micros = epochMicros(ts);
  if (bound === "since") return micros;
  const precision = PRECISION.exec(value.trim());
  if (precision?.[2] !== undefined) return micros;
  return micros + (precision?.[1] !== undefined ? 1_000_000 : 60_000_000) - 1;
}

function validDate(text: string, year: number, month: number, day: number): boolean {
  // 2026-0216 and 202602-16 are neither form.
  if (text.length !== 8 && text.length !== 10) return false;
  if (text.length === 10 && (text[4] !== "-" || text[7] !== "-")) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return year >= 1000 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** A filter whose date bounds are parsed (inclusive epoch microseconds): see `parseFilter`. */
export interface ParsedFilter extends Omit<EventFilter, "since" | "until"> {
  readonly sinceMicros: number | undefined;
  readonly untilMicros: number | undefined;
}

/**
 * Parses a filter's date bounds, once, where a query comes in (a bad one, or a `since` after
 * the `until`, throws a TelemetryError before any file is read); a parsed filter is returned
 * as it is. `context` gives relative forms their clock and dates their zone.
 */
export function parseFilter(
  filter: EventFilter | ParsedFilter = {},
  context: DateContext = {},
): ParsedFilter {
  if ("sinceMicros" in filter) return filter;
  const { since, until, ...fields } = filter;
  checkOrigins(fields.origin);
  const sinceMicros = since === undefined ? undefined : timeBound(since, "since", context);
  const untilMicros = until === undefined ? undefined : timeBound(until, "until", context);
  if (sinceMicros !== undefined && untilMicros !== undefined && sinceMicros > untilMicros) {
    throw new TelemetryError(
      "INVALID_FILTER",
      `--since ${describeBound(since)} is after --until ${describeBound(until)}: no event can match`,
    );
  }
  return { ...fields, sinceMicros, untilMicros };
}

function describeBound(value: string | Date | undefined): string {
  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
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
  const sources = parsed.origin === undefined ? undefined : new Set(parsed.origin.map(sourceOf));
  return (event) => {
    if (eventType !== undefined && event.event_type !== eventType) return false;
    for (const [key, value] of payloadChecks) if (event.payload[key] !== value) return false;
    if (sources !== undefined) {
      const source = event.payload.source;
      if (!sources.has(typeof source === "string" ? source : undefined)) return false;
    }
    if (since === undefined && until === undefined) return true;
    const at = epochMicros(event.timestamp);
    return (since === undefined || at >= since) && (until === undefined || at <= until);
  };
}
