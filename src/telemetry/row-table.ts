import { LONG_CONTEXT_THRESHOLDS } from "./execution-payload.js";
import { picoFromUsd } from "./money.js";
import { type EventFields, ModelFields } from "./scan/event-fields.js";
import { EMPTY_TEXT, NULL_TEXT, textNumber, textOf } from "./scan/text-ids.js";

/**
 * A log's execution events summed by everything a report can group or filter by except time:
 * feature, agent, model, role, work package, outcome and origin. Any cost report (any --group-by, any
 * field filter, any pricing table) is a roll-up of these rows, because an estimate is linear in
 * the token counts: rate x (sum of counts) = sum of (rate x count), exactly, in integers. So the
 * rows hold no prices and stay true when the pricing file changes.
 *
 * An event that recorded its usage per model (`models`) is summed as one part per model, each
 * into the row of that model (`model`), beside the event's own model (`eventModel`, what a
 * filter selects events by): so `--group-by model` credits each model its share, and any other
 * grouping adds the parts back into the whole event.
 */
export interface UsageRowKey {
  readonly aggregateId: string;
  readonly agent: string | null;
  /** The model of this part of the events: the event's model, or one entry of its `models`. */
  readonly model: string | null;
  /** The event's own (top-level) model. */
  readonly eventModel: string | null;
  readonly role: string | null;
  readonly wpId: string | null;
  readonly success: boolean | null;
  /** Where the events came from (`orchestrate`, `emit`, `import`); null when they do not say. */
  readonly source: string | null;
  /**
   * The events' period in the report's time zone (`2026-02-16`, `2026-W08` or `2026-02`), only
   * when a report groups by time; null otherwise, so rows and the cache stay free of time.
   */
  readonly period: string | null;
}

/**
 * Rows as the cache keeps them: one table of the distinct strings and two flat lists, so that
 * a warm report parses three arrays instead of an array per row, and holds them as they were
 * parsed (a list of numbers is one array of doubles) until a row is asked for.
 *
 * `keys`: per row PACKED_KEYS integers: the 6 text fields of the key (aggregate id, agent,
 * model, event model, role, WP id) then the origin, each an index into `strings` or -1 for
 * null; then the outcome (-1 null, 0 failure, 1 success) and 1 when the row holds the
 * long-context bands (else 0). `sums`: per row the event, shared, no-usage and estimate
 * counts, the reported pico-dollars, then the token and estimate sums in the row's order (14
 * values, or 29 with the bands); a value past 2^53 is its decimal text. No periods: the cache
 * never holds them.
 */
export interface PackedRowsJson {
  readonly strings: readonly string[];
  readonly keys: readonly number[];
  readonly sums: readonly (number | string)[];
}

/**
 * The key fields a scan may leave out (bits of a mask; the model is always kept, its rates
 * price the row). A report read without the cache keeps only what it groups or filters by, so
 * that rows kept apart by period stay few; the sums are the same, only coarser.
 */
export const KEY_FIELD_BITS = {
  aggregateId: 1,
  agent: 2,
  eventModel: 4,
  role: 8,
  wpId: 16,
  success: 32,
  source: 64,
} as const;
export type MaskableKeyField = keyof typeof KEY_FIELD_BITS;
/** Every key field kept. */
export const ALL_KEY_FIELDS = 127;

/**
 * How an event's cost is known before any price is looked up: the one classification used by
 * the report's rows and by a single event's cost (`eventCost`). A reported `cost_usd` (0.0
 * included) wins; an event with neither a cost nor a billed token count (nor per-model usage)
 * has no usage; any other is estimated from its tokens (or unpriced, when the table has no rate
 * for its model).
 */
export type UsageKind = "reported" | "no-usage" | "tokens";

/** The usage kind of an event's fields (see UsageKind). */
export function usageKind(e: EventFields): UsageKind {
  if (!Number.isNaN(e.costUsd)) return "reported";
  const noTokens =
    e.inputTokens === null &&
    e.outputTokens === null &&
    e.cacheReadTokens === null &&
    e.cacheWriteTokens === null &&
    e.cacheWrite1hTokens === null &&
    e.modelCount === 0;
  return noTokens ? "no-usage" : "tokens";
}

/**
 * The classes a token is billed by: uncached input, output, cache read, 5-minute cache write,
 * 1-hour cache write. An estimate's sums hold them per band of prompt size (ESTIMATE_BANDS).
 */
export const RATE_CLASSES = 5;
/** Requests up to the first long-context threshold, then between each threshold and the next. */
export const ESTIMATE_BANDS = 1 + LONG_CONTEXT_THRESHOLDS.length;
export const ESTIMATE_SUMS = RATE_CLASSES * ESTIMATE_BANDS;

/**
 * A row's sums in the packed rows' order (PackedRowsJson): the event, shared, no-usage and
 * estimate counts, the reported pico-dollars, the 4 token sums, then the estimate's sums (the
 * first band's RATE_CLASSES, or all ESTIMATE_SUMS with the long-context bands).
 */
export const PACKED_COUNTS = 5;
export const PACKED_SUMS = PACKED_COUNTS + 4 + RATE_CLASSES;
export const PACKED_BAND_SUMS = PACKED_SUMS + ESTIMATE_SUMS - RATE_CLASSES;

const EVENTS = 0;
const SHARED = 1;
const NO_USAGE = 2;
const ESTIMATES = 3;
const REPORTED = 4;
const TOKENS = PACKED_COUNTS;
const ESTIMATE = PACKED_COUNTS + 4;

// Per band and class, a part's tokens (see bandsOf): one scratch, parts are summed one at a time.
const bands = new Float64Array(ESTIMATE_SUMS);

/** A part's tokens per band and class, as its row sums them (a scratch, valid until the next call). */
export function partBands(part: ModelFields): Float64Array {
  bandsOf(part);
  return bands;
}
const cumulative = new Float64Array(RATE_CLASSES);

/**
 * Splits a model's tokens into bands of prompt size from its long-context sums (cumulative: a
 * request above 272k is in the 200k sums too). A log written by hand may hold sums that do not
 * nest; they are clipped so that no band is negative, each 1-hour write within its band's writes.
 */
function bandsOf(part: ModelFields): void {
  bands.fill(0);
  cumulative[0] = part.inputTokens ?? 0;
  cumulative[1] = part.outputTokens ?? 0;
  cumulative[2] = part.cacheReadTokens ?? 0;
  cumulative[3] = part.cacheWriteTokens ?? 0;
  cumulative[4] = part.cacheWrite1hTokens ?? 0;
  for (let band = 0; band < ESTIMATE_BANDS; band++) {
    const threshold = band; // the threshold that ends this band, when there is one
    const seen =
      threshold < LONG_CONTEXT_THRESHOLDS.length && (part.longContextSeen & (1 << threshold)) !== 0;
    const at = band * RATE_CLASSES;
    for (let c = 0; c < RATE_CLASSES; c++) {
      const above = seen
        ? Math.min(
            part.longContext[threshold * RATE_CLASSES + c] as number,
            cumulative[c] as number,
          )
        : 0;
      bands[at + c] = (cumulative[c] as number) - above;
      cumulative[c] = above;
    }
    // Within the band: the 1-hour writes (at most its writes), and the 5-minute rest.
    const writes = bands[at + 3] as number;
    const oneHour = Math.min(bands[at + 4] as number, writes);
    bands[at + 3] = writes - oneHour;
    bands[at + 4] = oneHour;
  }
}

const PICO_PER_USD = 1e12;
// The main part's share of a split reported cost (see splitReported), in pico-dollars.
let mainShare = 0;

/**
 * Whether a reported cost splits by the models' own figures (see RowTable.add); when it does,
 * `mainShare` is the main part's. Exact: every figure is a safe integer of pico-dollars.
 */
function splitReported(e: EventFields, main: number): boolean {
  const total = Math.round(e.costUsd * PICO_PER_USD);
  if (!Number.isSafeInteger(total)) return false;
  let others = 0;
  for (let i = 0; i < e.modelCount; i++) {
    if (i === main) continue;
    const cost = (e.models[i] as ModelFields).costUsd;
    if (Number.isNaN(cost)) return false;
    others += Math.round(cost * PICO_PER_USD);
  }
  if (!(Number.isSafeInteger(others) && others <= total)) return false;
  mainShare = total - others;
  return true;
}

/** A row in the JSON of a set's rows (`UsageRows.toJSON`, the dashboard's period rows). */
export type RowJson = readonly (string | number | boolean | null | (string | number)[])[];

/**
 * A row's JSON from its key and its sums in the packed rows' order (PackedRowsJson): its key,
 * counts, token sums, reported pico-dollars, estimate sums, the long-context bands or null, and
 * its period when it has one. One writer for rows of objects and rows of the table.
 */
export function rowJson(k: UsageRowKey, s: readonly (number | string)[]): RowJson {
  const json = [
    k.aggregateId,
    k.agent,
    k.model,
    k.eventModel,
    k.role,
    k.wpId,
    k.success,
    k.source,
    ...[EVENTS, SHARED, TOKENS, TOKENS + 1, TOKENS + 2, TOKENS + 3, REPORTED, NO_USAGE].map(
      (i) => s[i] as number | string,
    ),
    s[ESTIMATES] as number | string,
    ...s.slice(ESTIMATE, ESTIMATE + RATE_CLASSES),
    s.length > PACKED_SUMS ? s.slice(ESTIMATE + RATE_CLASSES) : null,
  ];
  return k.period === null ? json : [...json, k.period];
}

/** Rows packed with their periods: per row, its period's index in `strings` (-1: none). */
export interface PeriodPackedJson extends PackedRowsJson {
  readonly periods: readonly number[];
}

// A row's key: the numbers (text-ids.ts) of its aggregate id, agent, model, event model, role,
// WP id, origin and period, and its outcome (0 null, 1 success, 2 failure).
const KEY_INTS = 9;
const PERIOD = 7;
const OUTCOME = 8;
// A packed row's key: the 7 texts, its outcome, its bands flag (PackedRowsJson).
const PACKED_KEYS = 9;
const INITIAL_ROWS = 4;

/**
 * The rows a scan sums events into, one per distinct key, in flat typed arrays: an event's row
 * is found by the numbers of its key's texts (which the line scanner hands over) in an
 * open-addressing table, and its sums are doubles in one array. Exact like CountSum and
 * PicoSum: a sum that would pass 2^53 carries into a bigint kept aside. A row costs ~270
 * bytes and a line allocates nothing (a UsageRow with its ten sums and its Map levels cost
 * ~1.35 KB a row, and were garbage once sent on).
 */
export class RowTable {
  #count = 0;
  #keys = new Int32Array(INITIAL_ROWS * KEY_INTS);
  #sums = new Float64Array(INITIAL_ROWS * PACKED_BAND_SUMS);
  /** 1 for a row that holds the long-context bands. */
  #bands = new Uint8Array(INITIAL_ROWS);
  /** Per slot a row + 1 (0: empty); twice as many slots as rows at least. */
  #slots = new Int32Array(INITIAL_ROWS * 2);
  /** The part of a sum (by its index in #sums) past what a double holds exactly. */
  #big: Map<number, bigint> | null = null;
  #hasPeriods = false;
  #period: string | null = null;
  #periodText = NULL_TEXT;
  /** The key being looked up. */
  readonly #key = new Int32Array(KEY_INTS);

  get size(): number {
    return this.#count;
  }

  /** Whether any row is kept apart by period (such rows cannot be packed). */
  get hasPeriods(): boolean {
    return this.#hasPeriods;
  }

  /**
   * Adds an event: whole, or one part per entry of its `models`. The entry of the event's own
   * model (else the first) is its main part, which counts the event; the others are shared.
   * A reported cost is split when every entry reported its own: each other model gets its
   * own figure and the main one the rest, so the shares add up to the event's cost exactly;
   * otherwise (or when the others' figures exceed the total) the main part gets it all.
   */
  add(e: EventFields, period: string | null, keep: number): void {
    const kind = usageKind(e);
    const key = this.#key;
    key[0] = keep & KEY_FIELD_BITS.aggregateId ? e.aggregateIdText : EMPTY_TEXT;
    key[1] = keep & KEY_FIELD_BITS.agent ? e.agentText : NULL_TEXT;
    key[3] = keep & KEY_FIELD_BITS.eventModel ? e.modelText : NULL_TEXT;
    key[4] = keep & KEY_FIELD_BITS.role ? e.roleText : NULL_TEXT;
    key[5] = keep & KEY_FIELD_BITS.wpId ? e.wpIdText : NULL_TEXT;
    key[6] = keep & KEY_FIELD_BITS.source ? e.sourceText : NULL_TEXT;
    key[PERIOD] = period === null ? NULL_TEXT : this.#periodNumber(period);
    const success = keep & KEY_FIELD_BITS.success ? e.success : null;
    key[OUTCOME] = success === null ? 0 : success ? 1 : 2;
    if (e.modelCount === 0) {
      key[2] = e.modelText;
      const row = this.#rowOf(key);
      const at = row * PACKED_BAND_SUMS;
      this.#addPart(at, e, kind, false, row);
      if (kind === "reported") this.#addUsd(at + REPORTED, e.costUsd);
      return;
    }
    const models = e.models;
    let main = 0;
    for (let i = 0; i < e.modelCount; i++) {
      if ((models[i] as ModelFields).modelText === e.modelText) {
        main = i;
        break;
      }
    }
    const split = kind === "reported" && splitReported(e, main);
    for (let i = 0; i < e.modelCount; i++) {
      const part = models[i] as ModelFields;
      key[2] = part.modelText;
      const row = this.#rowOf(key);
      const at = row * PACKED_BAND_SUMS;
      this.#addPart(at, part, kind, i !== main, row); // never "no-usage": per-model usage
      if (kind !== "reported") continue;
      if (i === main) {
        if (split) this.#add(at + REPORTED, mainShare);
        else this.#addUsd(at + REPORTED, e.costUsd);
      } else if (split) this.#add(at + REPORTED, Math.round(part.costUsd * PICO_PER_USD));
    }
  }

  /**
   * Adds packed rows (another table's `packed()`, checked by the caller) row by row into the
   * rows of their keys: a scan's ranges pooled with no object per row.
   */
  addPacked(json: PackedRowsJson | PeriodPackedJson): void {
    const { strings, keys, sums } = json;
    const periods = "periods" in json ? json.periods : null;
    const numbers = strings.map((text) => textNumber(text));
    const text = (i: number) => (i === -1 ? NULL_TEXT : (numbers[i] as number));
    const key = this.#key;
    key[PERIOD] = NULL_TEXT;
    let next = 0;
    for (let k = 0; k < keys.length; k += PACKED_KEYS) {
      for (let f = 0; f < PERIOD; f++) key[f] = text(keys[k + f] as number);
      if (periods !== null) {
        key[PERIOD] = text(periods[k / PACKED_KEYS] as number);
        if (key[PERIOD] !== NULL_TEXT) this.#hasPeriods = true;
      }
      const outcome = keys[k + PERIOD] as number;
      key[OUTCOME] = outcome === -1 ? 0 : outcome === 1 ? 1 : 2;
      const withBands = keys[k + PERIOD + 1] === 1;
      const row = this.#rowOf(key);
      if (withBands) this.#bands[row] = 1;
      const at = row * PACKED_BAND_SUMS;
      const length = withBands ? PACKED_BAND_SUMS : PACKED_SUMS;
      for (let i = 0; i < length; i++) {
        const v = sums[next + i] as number | string;
        if (typeof v === "number") this.#add(at + i, v);
        else this.#carry(at + i, BigInt(this.#sums[at + i] as number) + BigInt(v));
      }
      next += length;
    }
  }

  /**
   * Rows summed into since they were last cleared (`clearTouched`), in the order they were:
   * kept only once asked for (`trackTouched`), for a table of one period's events at a time.
   */
  #touched: number[] | null = null;

  trackTouched(): void {
    this.#touched ??= [];
  }

  /**
   * Sums the rows (with `touched`: only those summed into since last cleared) into `into`,
   * each key cut down to the fields of `keep` (as `add` cuts an event's) and its period
   * turned by `period` (text numbers; NULL_TEXT: none): the rows of coarser keys from the rows
   * of a finer one, the same sums as adding their events again (sums are linear), row by row.
   */
  sumInto(into: RowTable, keep: number, period: (text: number) => number, touched = false): void {
    const rows = touched ? (this.#touched ?? []) : null;
    const n = rows === null ? this.#count : rows.length;
    const key = into.#key;
    const k = this.#keys;
    const s = this.#sums;
    for (let j = 0; j < n; j++) {
      const r = rows === null ? j : (rows[j] as number);
      const at = r * KEY_INTS;
      key[0] = keep & KEY_FIELD_BITS.aggregateId ? (k[at] as number) : EMPTY_TEXT;
      key[1] = keep & KEY_FIELD_BITS.agent ? (k[at + 1] as number) : NULL_TEXT;
      key[2] = k[at + 2] as number;
      key[3] = keep & KEY_FIELD_BITS.eventModel ? (k[at + 3] as number) : NULL_TEXT;
      key[4] = keep & KEY_FIELD_BITS.role ? (k[at + 4] as number) : NULL_TEXT;
      key[5] = keep & KEY_FIELD_BITS.wpId ? (k[at + 5] as number) : NULL_TEXT;
      key[6] = keep & KEY_FIELD_BITS.source ? (k[at + 6] as number) : NULL_TEXT;
      key[PERIOD] = period(k[at + PERIOD] as number);
      if (key[PERIOD] !== NULL_TEXT) into.#hasPeriods = true;
      key[OUTCOME] = keep & KEY_FIELD_BITS.success ? (k[at + OUTCOME] as number) : 0;
      const row = into.#rowOf(key);
      const withBands = this.#bands[r] === 1;
      if (withBands) into.#bands[row] = 1;
      const from = r * PACKED_BAND_SUMS;
      const to = row * PACKED_BAND_SUMS;
      const length = withBands ? PACKED_BAND_SUMS : PACKED_SUMS;
      for (let i = 0; i < length; i++) {
        const big = this.#big?.get(from + i);
        if (big === undefined) into.#add(to + i, s[from + i] as number);
        else {
          const held = BigInt(into.#sums[to + i] as number);
          into.#carry(to + i, held + big + BigInt(s[from + i] as number));
        }
      }
    }
  }

  /** Empties the rows summed into since last cleared (their keys stay, found again as they were). */
  clearTouched(): void {
    const rows = this.#touched;
    if (rows === null) return;
    for (const r of rows) {
      const at = r * PACKED_BAND_SUMS;
      this.#sums.fill(0, at, at + PACKED_BAND_SUMS);
      this.#bands[r] = 0;
      if (this.#big !== null) for (let i = at; i < at + PACKED_BAND_SUMS; i++) this.#big.delete(i);
    }
    rows.length = 0;
  }

  /** Row `r`'s key. */
  keyOf(r: number): UsageRowKey {
    const k = this.#keys;
    const at = r * KEY_INTS;
    const outcome = k[at + OUTCOME];
    return {
      aggregateId: textOf(k[at] as number) ?? "",
      agent: textOf(k[at + 1] as number),
      model: textOf(k[at + 2] as number),
      eventModel: textOf(k[at + 3] as number),
      role: textOf(k[at + 4] as number),
      wpId: textOf(k[at + 5] as number),
      source: textOf(k[at + 6] as number),
      success: outcome === 0 ? null : outcome === 1,
      period: textOf(k[at + PERIOD] as number),
    };
  }

  /** Row `r`'s sums in the packed order (PACKED_SUMS of them, or PACKED_BAND_SUMS with bands). */
  sumsOf(r: number): (number | string)[] {
    const at = r * PACKED_BAND_SUMS;
    const length = this.#bands[r] === 1 ? PACKED_BAND_SUMS : PACKED_SUMS;
    const sums: (number | string)[] = [];
    for (let i = at; i < at + length; i++) sums.push(this.#value(i));
    return sums;
  }

  /**
   * Row `r` as `UsageRow.toJSON()` writes it (see rowJson), made straight from the table: no
   * row of objects in between.
   */
  rowJson(r: number): RowJson {
    return rowJson(this.keyOf(r), this.sumsOf(r));
  }

  /** A sum: a number while it is a safe integer, else its decimal digits. */
  #value(i: number): number | string {
    const small = this.#sums[i] as number;
    const big = this.#big?.get(i);
    if (big === undefined) return small;
    const total = big + BigInt(small);
    return total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : total.toString();
  }

  /** The rows packed (see PackedRowsJson); none may have a period. */
  packed(): PackedRowsJson {
    if (this.#hasPeriods) throw new Error("rows with a period are not packed");
    return this.#pack(null);
  }

  /** The rows packed with their periods (a scan's range sends its rows by period so). */
  packedByPeriod(): PeriodPackedJson {
    const periods: number[] = [];
    return { ...this.#pack(periods), periods };
  }

  /** The rows packed; with `periods`, each row's period (an index into the strings) into it. */
  #pack(periods: number[] | null): PackedRowsJson {
    const strings: string[] = [];
    // Each text's index in `strings`, by its number.
    const index = new Map<number, number>();
    const indexOf = (n: number) => {
      if (n === NULL_TEXT) return -1;
      let i = index.get(n);
      if (i === undefined) {
        i = strings.length;
        strings.push(textOf(n) as string);
        index.set(n, i);
      }
      return i;
    };
    const keys: number[] = [];
    const sums: (number | string)[] = [];
    const k = this.#keys;
    for (let r = 0; r < this.#count; r++) {
      const at = r * KEY_INTS;
      for (let f = 0; f < PERIOD; f++) keys.push(indexOf(k[at + f] as number));
      const outcome = k[at + OUTCOME] as number;
      keys.push(outcome === 0 ? -1 : outcome === 1 ? 1 : 0, this.#bands[r] as number);
      periods?.push(indexOf(k[at + PERIOD] as number));
      // Straight from the table (no array per row: a scan packs each range's rows).
      const from = r * PACKED_BAND_SUMS;
      const to = from + (this.#bands[r] === 1 ? PACKED_BAND_SUMS : PACKED_SUMS);
      for (let i = from; i < to; i++) sums.push(this.#value(i));
    }
    return { strings, keys, sums };
  }

  /** Adds one part of an event (the event itself, or one of its models; its reported cost apart). */
  #addPart(
    at: number,
    part: EventFields | ModelFields,
    kind: UsageKind,
    shared: boolean,
    row: number,
  ): void {
    const s = this.#sums;
    const input = part.inputTokens ?? 0;
    const output = part.outputTokens ?? 0;
    const cacheRead = part.cacheReadTokens ?? 0;
    const cacheWrite = part.cacheWriteTokens ?? 0;
    s[at + EVENTS] = (s[at + EVENTS] as number) + 1;
    // A row's first part since it was cleared (its event count was 0).
    if (this.#touched !== null && s[at + EVENTS] === 1) this.#touched.push(row);
    if (shared) s[at + SHARED] = (s[at + SHARED] as number) + 1;
    this.#add(at + TOKENS, input);
    this.#add(at + TOKENS + 1, output);
    this.#add(at + TOKENS + 2, cacheRead);
    this.#add(at + TOKENS + 3, cacheWrite);
    if (kind === "no-usage") s[at + NO_USAGE] = (s[at + NO_USAGE] as number) + 1;
    if (kind !== "tokens") return;
    s[at + ESTIMATES] = (s[at + ESTIMATES] as number) + 1;
    if (part instanceof ModelFields && part.longContextSeen !== 0) {
      this.#bands[row] = 1;
      bandsOf(part);
      for (let i = 0; i < ESTIMATE_SUMS; i++) this.#add(at + ESTIMATE + i, bands[i] as number);
      return;
    }
    const oneHour = Math.min(part.cacheWrite1hTokens ?? 0, cacheWrite);
    this.#add(at + ESTIMATE, input);
    this.#add(at + ESTIMATE + 1, output);
    this.#add(at + ESTIMATE + 2, cacheRead);
    this.#add(at + ESTIMATE + 3, cacheWrite - oneHour);
    this.#add(at + ESTIMATE + 4, oneHour);
  }

  /** Adds a safe integer to a sum, exactly. */
  #add(i: number, count: number): void {
    if (count === 0) return;
    const s = this.#sums;
    const next = (s[i] as number) + count;
    // Exact when the true sum is safe; a true sum past 2^53 never rounds down below it.
    if (next <= Number.MAX_SAFE_INTEGER) s[i] = next;
    else this.#carry(i, BigInt(s[i] as number) + BigInt(count));
  }

  #carry(i: number, amount: bigint): void {
    this.#big ??= new Map();
    this.#big.set(i, (this.#big.get(i) ?? 0n) + amount);
    this.#sums[i] = 0;
  }

  /** Adds a reported USD figure in pico-dollars, exactly as PicoSum.addUsd. */
  #addUsd(i: number, usd: number): void {
    const pico = Math.round(usd * PICO_PER_USD);
    if (Number.isSafeInteger(pico)) this.#add(i, pico);
    else this.#carry(i, BigInt(this.#sums[i] as number) + picoFromUsd(usd));
  }

  #periodNumber(period: string): number {
    // Consecutive events mostly share a period: its number is looked up when it changes.
    if (period !== this.#period) {
      this.#period = period;
      this.#periodText = textNumber(period);
      this.#hasPeriods = true;
    }
    return this.#periodText;
  }

  /** The row of `key`, a new one when it has none yet. */
  #rowOf(key: Int32Array): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const keys = this.#keys;
    for (let slot = keyHash(key, 0) & mask; ; slot = (slot + 1) & mask) {
      const held = (slots[slot] as number) - 1;
      if (held < 0) return this.#newRow(key);
      const k = held * KEY_INTS;
      let i = 0;
      while (i < KEY_INTS && keys[k + i] === key[i]) i++;
      if (i === KEY_INTS) return held;
    }
  }

  #newRow(key: Int32Array): number {
    const row = this.#count++;
    if (row === this.#bands.length) this.#grow();
    this.#keys.set(key, row * KEY_INTS);
    this.#place(row);
    return row;
  }

  /** Puts a row (its key set) in the first free slot from its key's hash. */
  #place(row: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = keyHash(this.#keys, row * KEY_INTS) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = row + 1;
  }

  /** Twice the room for rows, their slots laid out anew. */
  #grow(): void {
    const rows = this.#bands.length * 2;
    const keys = new Int32Array(rows * KEY_INTS);
    keys.set(this.#keys);
    const sums = new Float64Array(rows * PACKED_BAND_SUMS);
    sums.set(this.#sums);
    const withBands = new Uint8Array(rows);
    withBands.set(this.#bands);
    this.#keys = keys;
    this.#sums = sums;
    this.#bands = withBands;
    this.#slots = new Int32Array(rows * 2);
    for (let row = 0; row < this.#count - 1; row++) this.#place(row);
  }
}

/** A hash of the key at `keys[from..from + KEY_INTS)` (FNV-1a over its integers). */
function keyHash(keys: Int32Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + KEY_INTS; i++) h = Math.imul(h ^ (keys[i] as number), 0x01000193);
  return h ^ (h >>> 15);
}
