import { type PackedRowsJson, type PeriodPackedJson, RowTable } from "./row-table.js";
import type { EventFields } from "./scan/event-fields.js";
import { NULL_TEXT, textNumber, textOf } from "./scan/text-ids.js";
import { localDayKeyer, type PeriodUnit, periodOf } from "./time-zone.js";
import { UsageRow, UsageRows } from "./usage-rows.js";

/** Which periods a time series is kept by: one unit, or `auto` (see PeriodRows). */
export type PeriodChoice = PeriodUnit | "auto";

/** PeriodRows as plain data: the rows of each unit it kept. */
export interface PeriodRowsJson {
  readonly day?: PeriodPart;
  readonly week?: PeriodPart;
  readonly month?: PeriodPart;
}

/** A unit's rows, packed with their periods. */
type PeriodPart = PeriodPackedJson;

function addPart(into: UsageRows, part: PeriodPart): void {
  if (!into.sumPacked(part)) throw new Error("a range's rows by period do not check");
}

// Keyers are made once per zone and thread: each remembers the days it has seen (Intl is slow).
// Weeks and months are looked up from the day's label, so Intl is asked once per day.
interface Keyers {
  readonly day: (micros: number) => string;
  readonly month: (micros: number) => string;
  /** The week and the month of the day, as one label (see WEEK_MONTH). */
  readonly weekMonth: (micros: number) => string;
}

const keyers = new Map<string, Keyers>();

/** Between the week and the month of a week-and-month label (`2026-W05/2026-02`). */
const WEEK_MONTH = "/";

const weekMonthOf = (day: string) =>
  `${periodOf(day, "week")}${WEEK_MONTH}${periodOf(day, "month")}`;

function keyersOf(zone: string): Keyers {
  let k = keyers.get(zone);
  if (k === undefined) {
    const day = localDayKeyer(zone);
    const of = (periodOfDay: (day: string) => string) => {
      const labels = new Map<string, string>();
      // The last day's period: the day keyer hands the same string while the day lasts.
      let last = "";
      let lastPeriod = "";
      return (micros: number) => {
        const label = day(micros);
        if (label === last) return lastPeriod;
        let period = labels.get(label);
        if (period === undefined) {
          period = periodOfDay(label);
          labels.set(label, period);
        }
        last = label;
        lastPeriod = period;
        return period;
      };
    };
    k = { day, month: of((label) => periodOf(label, "month")), weekMonth: of(weekMonthOf) };
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

/** What a range's rows keep (KEY_FIELD_BITS) and by which periods (see PeriodRows). */
export interface PeriodRowsOptions {
  readonly choice: PeriodChoice;
  readonly zone: string;
  /** The key fields of the rows without period, and of the rows by period. */
  readonly rowKeep: number;
  readonly periodKeep: number;
  /** At most how many periods `auto` keeps. */
  readonly max: number;
  /** With `auto`, the unit to start with (a history known to be long skips days). */
  readonly first: PeriodUnit;
}

/**
 * A scan's usage rows without period and by period for a chart of at most `max` periods, with
 * one row update per event: events are summed into a small table of the current period alone
 * (keyed by both rows' fields), which is summed into the rows without period and the rows of
 * its period, row by row, and emptied when the period changes (logs are written in time order:
 * a range's events change period a few hundred times at most). `auto` keeps days (or starts at
 * a coarser unit) until more than `max` are seen, then weeks and months (weeks do not nest in
 * months), then months alone past `max` weeks: rows stay at most about `max` periods whatever
 * the history's length. A chosen unit is kept as it is (week: with months too, for budgets).
 */
export class PeriodRows {
  /** The current period's events (`#label`), by the fields of both rows. */
  readonly #current = new RowTable();
  #label = "";
  readonly #rows = new RowTable();
  #day: RowTable | null = null;
  #week: RowTable | null = null;
  #month: RowTable | null = null;
  /** What `#label` is: a day, a week and a month (`2026-W05/2026-02`), or a month. */
  #unit: "day" | "weekMonth" | "month";
  readonly #auto: boolean;
  readonly #options: PeriodRowsOptions;
  readonly #keep: number;
  readonly #keyers: Keyers;
  /** `#keyers[#unit]`, looked up when the unit changes, not per event. */
  #keyer: (micros: number) => string;
  /** With `auto`: the days seen (or the weeks). */
  readonly #labels = new Set<string>();

  constructor(options: PeriodRowsOptions) {
    this.#options = options;
    this.#auto = options.choice === "auto";
    this.#keep = options.rowKeep | options.periodKeep;
    this.#keyers = keyersOf(options.zone);
    this.#current.trackTouched();
    const unit = options.choice === "auto" ? options.first : options.choice;
    this.#unit = unit === "week" ? "weekMonth" : unit;
    this.#keyer = this.#keyers[this.#unit];
    if (unit === "day") this.#day = new RowTable();
    if (unit === "week") this.#week = new RowTable();
    if (unit === "week" || unit === "month") this.#month = new RowTable();
  }

  add(fields: EventFields): void {
    const label = this.#keyer(fields.micros);
    if (label !== this.#label) this.#start(label, fields.micros);
    this.#current.add(fields, null, this.#keep);
  }

  /** Sums the current period's rows, and starts the period of `label` (at `micros`). */
  #start(label: string, micros: number): void {
    this.#flush();
    this.#label = label;
    if (!this.#auto || this.#unit === "month") return;
    const counted = this.#unit === "day" ? label : weekOf(label);
    if (this.#labels.has(counted)) return;
    this.#labels.add(counted);
    if (this.#labels.size <= this.#options.max) return;
    this.#coarsen();
    this.#keyer = this.#keyers[this.#unit];
    this.#label = this.#keyer(micros);
  }

  #flush(): void {
    const label = this.#label;
    if (label === "") return;
    const current = this.#current;
    const keep = this.#options.periodKeep;
    current.sumInto(this.#rows, this.#options.rowKeep, () => NULL_TEXT, true);
    if (this.#unit === "weekMonth") {
      const week = textNumber(weekOf(label));
      if (this.#week !== null) current.sumInto(this.#week, keep, () => week, true);
      const month = textNumber(monthOf(label));
      current.sumInto(this.#month as RowTable, keep, () => month, true);
    } else {
      const period = textNumber(label);
      current.sumInto((this.#day ?? this.#month) as RowTable, keep, () => period, true);
    }
    current.clearTouched();
  }

  /** Past `max` days: weeks and months from the days; past `max` weeks: months alone. */
  #coarsen(): void {
    const days = this.#day;
    this.#unit = "month";
    this.#week = null;
    if (days === null) return;
    this.#day = null;
    const keep = this.#options.periodKeep;
    this.#week = summed(days, keep, (day) => periodOf(day, "week"));
    this.#month = summed(days, keep, (day) => periodOf(day, "month"));
    const dayLabels = [...this.#labels];
    this.#labels.clear();
    for (const day of dayLabels) this.#labels.add(periodOf(day, "week"));
    if (this.#labels.size > this.#options.max) this.#week = null;
    else this.#unit = "weekMonth";
  }

  /** The rows without period (packed), and by period (packed with their periods). */
  finish(): { rows: PackedRowsJson; periods: PeriodRowsJson } {
    this.#flush();
    this.#label = "";
    return {
      rows: this.#rows.packed(),
      periods: {
        ...(this.#day && { day: this.#day.packedByPeriod() }),
        ...(this.#week && { week: this.#week.packedByPeriod() }),
        ...(this.#month && { month: this.#month.packedByPeriod() }),
      },
    };
  }
}

/** A week and month label's week. */
const weekOf = (label: string) => label.slice(0, label.indexOf(WEEK_MONTH));
const monthOf = (label: string) => label.slice(label.indexOf(WEEK_MONTH) + 1);

/** The rows of a table by period summed by the fields of `keep` and by `period` of their label. */
function summed(table: RowTable, keep: number, period: (label: string) => string): RowTable {
  const into = new RowTable();
  const numbers = new Map<number, number>();
  table.sumInto(into, keep, (n) => {
    let m = numbers.get(n);
    if (m === undefined) {
      m = textNumber(period(textOf(n) as string));
      numbers.set(n, m);
    }
    return m;
  });
  return into;
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
  const pool = new PeriodPool();
  for (const part of parts) pool.add(part);
  return pool.join(choice, max);
}

/**
 * The rows of several scans (ranges) pooled as they come (see joinPeriodRows), so that a
 * parallel scan's main thread sums each range's while the others are still read.
 */
export class PeriodPool {
  readonly #day = new UsageRows();
  readonly #week = new UsageRows();
  readonly #month = new UsageRows();
  #weeks = true; // every part can give weeks
  #days = true;

  add(part: PeriodRowsJson): void {
    if (part.day) addPart(this.#day, part.day);
    else this.#days = false;
    if (part.week) addPart(this.#week, part.week);
    else if (!part.day) this.#weeks = false;
    if (part.month) addPart(this.#month, part.month);
  }

  /** The parts' rows by the finest unit they all give with at most `max` periods, or `choice`. */
  join(choice: PeriodChoice, max: number): JoinedPeriods {
    const months = rowsByPeriod(this.#day, "month", this.#month);
    const count = (rows: UsageRows) => new Set([...rows].map((r) => r.key.period)).size;
    if (choice === "day" || (choice === "auto" && this.#days && count(this.#day) <= max)) {
      return { unit: "day", rows: this.#day, months };
    }
    if (choice === "week" || (choice === "auto" && this.#weeks)) {
      const rows = rowsByPeriod(this.#day, "week", this.#week);
      if (choice === "week" || count(rows) <= max) return { unit: "week", rows, months };
    }
    return { unit: "month", rows: months, months };
  }
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
