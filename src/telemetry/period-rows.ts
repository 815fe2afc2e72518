import type { PeriodPackedJson } from "./row-table.js";
import type { EventFields } from "./scan/event-fields.js";
import { localDayKeyer, type PeriodUnit, periodOf } from "./time-zone.js";
import { UsageRow, type UsageRowJson, UsageRows } from "./usage-rows.js";

/** Which periods a time series is kept by: one unit, or `auto` (see PeriodRows). */
export type PeriodChoice = PeriodUnit | "auto";

/** PeriodRows as plain data: the rows of each unit it kept. */
export interface PeriodRowsJson {
  readonly day?: PeriodPart;
  readonly week?: PeriodPart;
  readonly month?: PeriodPart;
}

/** A unit's rows: packed when the rows only summed events (no row of objects made), else JSON. */
type PeriodPart = PeriodPackedJson | UsageRowJson[];

function partOf(rows: UsageRows): PeriodPart {
  return rows.packedByPeriod() ?? rows.toJSON();
}

function addPart(into: UsageRows, part: PeriodPart): void {
  const ok = Array.isArray(part) ? into.addJSON(part) : into.sumPacked(part);
  if (!ok) throw new Error("a range's rows by period do not check");
}

// Keyers are made once per zone and thread: each remembers the days it has seen (Intl is slow).
// Weeks and months are looked up from the day's label, so Intl is asked once per day.
const keyers = new Map<string, Record<PeriodUnit, (micros: number) => string>>();

function keyersOf(zone: string): Record<PeriodUnit, (micros: number) => string> {
  let k = keyers.get(zone);
  if (k === undefined) {
    const day = localDayKeyer(zone);
    const of = (unit: PeriodUnit) => {
      const labels = new Map<string, string>();
      // The last day's period: the day keyer hands the same string while the day lasts.
      let last = "";
      let lastPeriod = "";
      return (micros: number) => {
        const label = day(micros);
        if (label === last) return lastPeriod;
        let period = labels.get(label);
        if (period === undefined) {
          period = periodOf(label, unit);
          labels.set(label, period);
        }
        last = label;
        lastPeriod = period;
        return period;
      };
    };
    k = { day, week: of("week"), month: of("month") };
    keyers.set(zone, k);
  }
  return k;
}

/** Rows keyed by `unit` instead of by day (or week): the key a report keyed by `unit` gives them. */
export function rowsByPeriod(rows: Iterable<UsageRow>, unit: PeriodUnit, into = new UsageRows()) {
  const labels = new Map<string, string>();
  for (const row of rows) {
    const label = row.key.period ?? "";
    let period = labels.get(label);
    if (period === undefined) {
      // A day's label (YYYY-MM-DD) is turned into the unit's; any other is already the unit's.
      period = label.length === 10 ? periodOf(label, unit) : label;
      labels.set(label, period);
    }
    const copy = new UsageRow({ ...row.key, period });
    copy.merge(row);
    into.merge([copy]);
  }
  return into;
}

/**
 * Usage rows by period for a chart of at most `max` periods, summed as a scan goes. `auto` keeps
 * days (or starts at a coarser unit) until more than `max` are seen, then weeks and months (weeks do not nest in months),
 * then months alone past `max` weeks: rows stay at most about `max` periods whatever the
 * history's length. A chosen unit is kept as it is (week: with months too, for budgets).
 */
export class PeriodRows {
  #day: UsageRows | null = null;
  #week: UsageRows | null = null;
  #month: UsageRows | null = null;
  readonly #auto: boolean;
  readonly #max: number;
  readonly #keep: number;
  readonly #keyers: Record<PeriodUnit, (micros: number) => string>;
  readonly #labels = new Set<string>();

  /** `first`: with `auto`, the unit to start with (a history known to be long skips days). */
  constructor(choice: PeriodChoice, zone: string, keep: number, max: number, first: PeriodUnit) {
    this.#auto = choice === "auto";
    this.#max = max;
    this.#keep = keep;
    this.#keyers = keyersOf(zone);
    const unit = choice === "auto" ? first : choice;
    if (unit === "day") this.#day = new UsageRows();
    if (unit === "week") this.#week = new UsageRows();
    if (unit === "week" || unit === "month") this.#month = new UsageRows();
  }

  add(fields: EventFields): void {
    const keep = this.#keep;
    const day = this.#day;
    if (day !== null) {
      const label = this.#keyers.day(fields.micros);
      day.add(fields, label, keep);
      if (this.#auto && !this.#labels.has(label)) {
        this.#labels.add(label);
        if (this.#labels.size > this.#max) this.#coarsen();
      }
      return;
    }
    const week = this.#week;
    if (week !== null) {
      const label = this.#keyers.week(fields.micros);
      week.add(fields, label, keep);
      if (this.#auto && !this.#labels.has(label)) {
        this.#labels.add(label);
        if (this.#labels.size > this.#max) this.#week = null;
      }
    }
    this.#month?.add(fields, this.#keyers.month(fields.micros), keep);
  }

  /** Past `max` days: weeks and months from the days (past `max` weeks, months alone). */
  #coarsen(): void {
    const days = this.#day as UsageRows;
    this.#day = null;
    this.#week = rowsByPeriod(days, "week");
    this.#month = rowsByPeriod(days, "month");
    this.#labels.clear();
    for (const row of this.#week) this.#labels.add(row.key.period ?? "");
    if (this.#labels.size > this.#max) this.#week = null;
  }

  toJSON(): PeriodRowsJson {
    return {
      ...(this.#day && { day: partOf(this.#day) }),
      ...(this.#week && { week: partOf(this.#week) }),
      ...(this.#month && { month: partOf(this.#month) }),
    };
  }
}

/** The time series of several PeriodRows joined: its unit, its rows, and the rows by month. */
export interface JoinedPeriods {
  readonly unit: PeriodUnit;
  readonly rows: UsageRows;
  readonly months: UsageRows;
}

/**
 * Joins the rows of several scans (ranges) kept with `choice`: the finest unit every part can
 * give with at most `max` periods in all (`auto`), or the chosen one.
 */
export function joinPeriodRows(
  parts: readonly PeriodRowsJson[],
  choice: PeriodChoice,
  max: number,
): JoinedPeriods {
  const pool = { day: new UsageRows(), week: new UsageRows(), month: new UsageRows() };
  let weeks = true; // every part can give weeks
  let days = true;
  for (const part of parts) {
    if (part.day) addPart(pool.day, part.day);
    else days = false;
    if (part.week) addPart(pool.week, part.week);
    else if (!part.day) weeks = false;
    if (part.month) addPart(pool.month, part.month);
  }
  const months = rowsByPeriod(pool.day, "month", pool.month);
  const count = (rows: UsageRows) => new Set([...rows].map((r) => r.key.period)).size;
  if (choice === "day" || (choice === "auto" && days && count(pool.day) <= max)) {
    return { unit: "day", rows: pool.day, months };
  }
  if (choice === "week" || (choice === "auto" && weeks)) {
    const rows = rowsByPeriod(pool.day, "week", pool.week);
    if (choice === "week" || count(rows) <= max) return { unit: "week", rows, months };
  }
  return { unit: "month", rows: months, months };
}

const DAY_MICROS = 86_400_000_000;

/**
 * The unit `auto` starts with for a history from `first` to `last` (epoch microseconds): the
 * finest with at most `max` periods between them. Only a start: the rows coarsen further if
 * events outside that span make more periods.
 */
export function firstUnitFor(first: number, last: number, max: number): PeriodUnit {
  const days = Math.floor((last - first) / DAY_MICROS) + 2; // a span may touch a day more
  if (days <= max) return "day";
  return Math.ceil(days / 7) + 1 <= max ? "week" : "month";
}
