import { TelemetryError } from "./errors.js";

/** A calendar date (month 1-12) in some time zone. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * The IANA zone name as Intl spells it (`europe/berlin` is `Europe/Berlin`); a name Intl does
 * not know is a TelemetryError (a typo must not silently report in UTC).
 */
export function validTimeZone(name: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new TelemetryError(
      "INVALID_FILTER",
      `unknown time zone ${JSON.stringify(name)}: expected an IANA name, e.g. UTC, Europe/Berlin or America/New_York`,
    );
  }
}

/** The zone of the machine (its TZ, else what Intl reports), validated. */
export function machineTimeZone(env: Readonly<Record<string, string | undefined>> = {}): string {
  const tz = env.TZ?.trim();
  // A POSIX TZ like ":/etc/localtime" is not an IANA name: Intl's own answer then.
  if (tz !== undefined && tz !== "" && !tz.startsWith(":")) {
    try {
      return validTimeZone(tz);
    } catch {
      // fall through
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The wall-clock fields of a moment (epoch milliseconds) in a zone. */
function wallClock(ms: number, zone: string): number[] {
  // UTC (every alias of it is spelled so once validated) needs no Intl, which costs ~25 us a
  // call: a long history's report by day looks up every UTC day's offset twice.
  if (zone === "UTC") {
    const d = new Date(ms);
    return [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ];
  }
  const parts = formatterOf(zone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [get("year"), get("month"), get("day"), get("hour"), get("minute"), get("second")];
}

/** The zone's offset from UTC at a moment, in milliseconds (east positive). */
function offsetAt(ms: number, zone: string): number {
  const [y, mo, d, h, mi, s] = wallClock(ms, zone) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
}

/** The date a moment (epoch milliseconds) falls on in a zone. */
export function localDateOf(ms: number, zone: string): LocalDate {
  const [year, month, day] = wallClock(ms, zone) as [number, number, number];
  return { year, month, day };
}

const DAY_MS = 86_400_000;

/**
 * The first moment (epoch milliseconds) of a date in a zone: its midnight, or, where a clock
 * change skips midnight, the first moment that is on that date.
 */
export function startOfLocalDay(date: LocalDate, zone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day);
  // The offsets around that date; midnight is at naive - offset for one of them.
  const offsets = new Set([
    offsetAt(naive - DAY_MS, zone),
    offsetAt(naive, zone),
    offsetAt(naive + DAY_MS, zone),
  ]);
  const candidates = [...offsets].map((o) => naive - o).sort((a, b) => a - b);
  for (const t of candidates) {
    const [y, mo, d, h, mi, s] = wallClock(t, zone);
    if (y === date.year && mo === date.month && d === date.day && h === 0 && mi === 0 && s === 0) {
      return t;
    }
  }
  // Midnight does not exist that day: the moment the clock jumps, found by halving.
  let lo = (candidates[0] as number) - DAY_MS;
  let hi = (candidates.at(-1) as number) + DAY_MS;
  const onOrAfter = (t: number) => {
    const [y, mo, d] = wallClock(t, zone) as [number, number, number];
    return Date.UTC(y, mo - 1, d) >= naive;
  };
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (onOrAfter(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The date `days` after (or before, when negative) a date, in the calendar. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A date as `YYYY-MM-DD`. */
export function formatLocalDate(date: LocalDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

/** The periods a report can group by. */
export type PeriodUnit = "day" | "week" | "month";

/** The label of a `YYYY-MM-DD` date's period: the date, its ISO week (`2026-W08`) or month (`2026-02`). */
export function periodOf(day: string, unit: PeriodUnit): string {
  return unit === "day" ? day : unit === "week" ? isoWeekOf(day) : day.slice(0, 7);
}

/** Like localDayKeyer, to the date's period (see periodOf). */
export function localPeriodKeyer(zone: string, unit: PeriodUnit): (micros: number) => string {
  const dayOf = localDayKeyer(zone);
  if (unit === "day") return dayOf;
  const periods = new Map<string, string>();
  return (micros) => {
    const day = dayOf(micros);
    let period = periods.get(day);
    if (period === undefined) {
      period = periodOf(day, unit);
      periods.set(day, period);
    }
    return period;
  };
}

// Every zone's offset today is a whole number of quarter hours: within one quarter hour of UTC
// the local date changes at most at its start, so one look-up serves the whole quarter.
const QUARTER_MICROS = 900_000_000;

/**
 * A function from epoch microseconds to the `YYYY-MM-DD` date in `zone`, exact. Intl is slow
 * per event: the zone's offset is looked up once per UTC day, and where it is the same at
 * both ends of that day (all days but those of a clock change) the date is plain arithmetic;
 * on a clock change's day, once per quarter hour.
 */
export function localDayKeyer(zone: string): (micros: number) => string {
  const quarters = new Map<number, string>();
  const dayAt = (micros: number) => formatLocalDate(localDateOf(Math.floor(micros / 1000), zone));
  const byQuarter = (micros: number) => {
    const quarter = Math.floor(micros / QUARTER_MICROS);
    const known = quarters.get(quarter);
    if (known !== undefined) return known;
    const start = quarter * QUARTER_MICROS;
    const day = dayAt(start);
    // An offset that is not whole quarters (local mean time, before 1900): no shortcut.
    if (dayAt(start + QUARTER_MICROS - 1) !== day) return dayAt(micros);
    quarters.set(quarter, day);
    return day;
  };
  const dateText = (localMs: number) => {
    const local = new Date(localMs);
    return formatLocalDate({
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
    });
  };
  // Per UTC day of one offset: the local midnight within it, and the dates before and after it,
  // made once (a string per event would be a million strings to collect at 1M events).
  const days = new Map<number, UtcDay | null>();
  const describe = (utcDay: number): UtcDay | null => {
    const start = utcDay * DAY_MS;
    const offset = offsetAt(start, zone);
    if (offset !== offsetAt(start + DAY_MS - 1000, zone)) return null;
    const localStart = start + offset;
    const midnight = (Math.floor(localStart / DAY_MS) + 1) * DAY_MS - offset;
    return { midnight, before: dateText(localStart), after: dateText(midnight + offset) };
  };
  // The last answer and the UTC milliseconds [from, to) it holds for (a log's next event is
  // mostly on the same local day): no look-up at all then.
  let from = 0;
  let to = 0;
  let last = "";
  return (micros) => {
    const ms = Math.floor(micros / 1000);
    if (ms >= from && ms < to) return last;
    const utcDay = Math.floor(ms / DAY_MS);
    let day = days.get(utcDay);
    if (day === undefined) {
      day = describe(utcDay);
      days.set(utcDay, day);
    }
    if (day === null) return byQuarter(micros);
    // Within this UTC day alone: the next one is looked up (its offset may differ).
    const start = utcDay * DAY_MS;
    const midnight = Math.min(day.midnight, start + DAY_MS);
    const before = ms < midnight;
    from = before ? start : midnight;
    to = before ? midnight : start + DAY_MS;
    last = before ? day.before : day.after;
    return last;
  };
}

interface UtcDay {
  /** The UTC moment (ms) the local date changes within the day (past its end when it does not). */
  readonly midnight: number;
  readonly before: string;
  readonly after: string;
}

/** The ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday) of a `YYYY-MM-DD` date: `2026-W08`. */
export function isoWeekOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${pad(year, 4)}-W${pad(week)}`;
}
