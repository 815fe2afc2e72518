/**
 * A timestamp exactly as Python's `datetime.isoformat()` writes an aware datetime:
 * `2026-02-16T09:12:58.036834+00:00`, with no fraction when the microseconds are zero.
 * Kept as text because a JS Date holds only milliseconds.
 */
export type IsoTimestamp = string & { readonly __brand: "IsoTimestamp" };

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Canonical form of an ISO 8601 date-time, or an explanation of why it is not one.
 * A naive time is taken as UTC; `Z` becomes `+00:00`; other offsets are kept, as Python keeps them;
 * fractions beyond microseconds are truncated.
 */
export function normalizeTimestamp(value: unknown): IsoTimestamp | { readonly error: string } {
  if (typeof value !== "string") {
    return { error: `timestamp must be a string, got ${value === null ? "null" : typeof value}` };
  }
  const m = ISO_PATTERN.exec(value);
  // The value is never quoted: a warning about a log line must not repeat its content.
  if (!m) return { error: "timestamp is not an ISO 8601 date-time" };
  const [, y, mo, d, h, mi, s = "00", frac = "", zulu, sign, oh = "00", om = "00"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const inRange =
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    (day <= 28 || day <= daysInMonth(year, month)) &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59 &&
    Number(oh) <= 23 &&
    Number(om) <= 59;
  if (!inRange) return { error: "timestamp is out of range" };
  const micros = frac.padEnd(6, "0").slice(0, 6);
  const fraction = micros === "000000" ? "" : `.${micros}`;
  const isUtc = zulu !== undefined || sign === undefined || (oh === "00" && om === "00");
  const offset = isUtc ? "+00:00" : `${sign}${oh}:${om}`;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}` as IsoTimestamp;
}

/** The UTC timestamp of a moment given in microseconds since the Unix epoch. */
export function utcTimestampFromMicros(epochMicros: number): IsoTimestamp {
  const whole = Math.floor(epochMicros);
  const micros = ((whole % 1_000_000) + 1_000_000) % 1_000_000;
  const date = new Date((whole - micros) / 1000);
  const fraction = micros === 0 ? "" : `.${pad(micros, 6)}`;
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction}+00:00` as IsoTimestamp;
}

/** Now, to the microsecond (like Python's `datetime.now(timezone.utc)`) where the clocks allow. */
export function nowTimestamp(): IsoTimestamp {
  // The monotonic clock gives microseconds but drifts from wall time in a long-running process
  // (NTP adjustments); use it only while it agrees with the wall clock to the millisecond.
  const precise = performance.timeOrigin + performance.now();
  const wall = Date.now();
  const ms = Math.abs(precise - wall) < 1 ? precise : wall;
  return utcTimestampFromMicros(Math.round(ms * 1000));
}

/** Microseconds since the Unix epoch of a canonical timestamp, its offset applied. */
export function epochMicros(ts: IsoTimestamp): number {
  // Canonical form: YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM, so fixed slices suffice.
  const n = (from: number, to: number) => Number(ts.slice(from, to));
  const year = n(0, 4);
  let ms = Date.UTC(year, n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19));
  // Date.UTC maps years 0-99 to 1900-1999; Python's datetime starts at year 1.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  const seconds = ms / 1000;
  const fraction = ts.charCodeAt(19) === 0x2e ? n(20, 26) : 0;
  const offset = ts.slice(-6);
  const offsetSeconds =
    (offset.startsWith("-") ? -1 : 1) *
    (Number(offset.slice(1, 3)) * 3600 + Number(offset.slice(4)) * 60);
  return (seconds - offsetSeconds) * 1_000_000 + fraction;
}
