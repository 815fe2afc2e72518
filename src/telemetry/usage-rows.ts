import { CountSum } from "./count-sum.js";
import { PicoSum, type PicoUsd } from "./money.js";
import { PackedKeyIndex } from "./packed-key-index.js";
import {
  ALL_KEY_FIELDS,
  ESTIMATE_SUMS,
  KEY_FIELD_BITS,
  PACKED_BAND_SUMS,
  PACKED_COUNTS,
  PACKED_SUMS,
  type PackedRowsJson,
  type PeriodPackedJson,
  RATE_CLASSES,
  type RowJson,
  RowTable,
  rowJson,
  type UsageRowKey,
} from "./row-table.js";
import type { EventFields } from "./scan/event-fields.js";
import { indexOrAdd } from "./string-index.js";

export {
  ALL_KEY_FIELDS,
  KEY_FIELD_BITS,
  type MaskableKeyField,
  type PackedRowsJson,
  type UsageKind,
  type UsageRowKey,
  usageKind,
} from "./row-table.js";

/** The model an estimate is priced by: none when the event names none (null or ""). */
export function pricedModel(model: string | null): string | null {
  return model !== null && model !== "" ? model : null;
}

// The row's JSON: its key (8 values), its event and shared counts, the 4 token sums, the
// reported pico-dollars, the no-usage count, the estimate count, the estimate's sums of the
// first band, and those of the long-context bands (null while there are none); then the
// key's period when it has one (a worker's reply; the cache never holds periods).
const KEY_LENGTH = 8;
const REPORTED_AT = KEY_LENGTH + 6;
const BASE_AT = REPORTED_AT + 3;
const TIERS_AT = BASE_AT + RATE_CLASSES;
const ROW_LENGTH = TIERS_AT + 1;

/** Adds a packed sum (a count, or its digits past 2^53). */
function addPackedValue(sum: CountSum, v: number | string): void {
  if (typeof v === "number") {
    if (v !== 0) sum.add(v);
  } else sum.addBig(BigInt(v));
}

/** The sums of one row; token counts a null stands for are summed as 0. Sums are exact. */
export class UsageRow {
  /** What the row's parts have in common (a copy: the scanner reuses its objects). */
  readonly key: UsageRowKey;
  /** Events with a part in this row. */
  eventCount = 0;
  /**
   * Of those, events counted in another row too: this row holds a model's share that is not
   * the event's main one (so a total over rows counts each event once: eventCount - sharedCount).
   */
  sharedCount = 0;
  readonly inputTokens = new CountSum();
  readonly outputTokens = new CountSum();
  readonly cacheReadTokens = new CountSum();
  readonly cacheWriteTokens = new CountSum();
  /** Costs the agents reported (each model's share of them, see UsageRows.add). */
  readonly reported = new PicoSum();
  /** Events with neither a cost nor a token count. */
  noUsageCount = 0;
  /** Parts with no cost but tokens: priced (or not) by the report, from the sums below. */
  estimateCount = 0;
  /**
   * Per band of prompt size (ESTIMATE_BANDS), the tokens of each rate class (RATE_CLASSES): the
   * first band only until some part recorded long-context usage (rows are many, such parts few).
   * Written out (RATE_CLASSES of them): a warm report makes a row per cached row, and
   * `Array.from` with a callback cost more than the rest of the row.
   */
  readonly #estimate: CountSum[] = [
    new CountSum(),
    new CountSum(),
    new CountSum(),
    new CountSum(),
    new CountSum(),
  ];

  get estimate(): readonly CountSum[] {
    return this.#estimate;
  }

  #withBands(): CountSum[] {
    const sums = this.#estimate;
    while (sums.length < ESTIMATE_SUMS) sums.push(new CountSum());
    return sums;
  }

  constructor(key: UsageRowKey) {
    const { aggregateId, agent, model, eventModel, role, wpId, success, source, period } = key;
    this.key = { aggregateId, agent, model, eventModel, role, wpId, success, source, period };
  }

  /** The token and estimate sums, in the packed rows' order (after the counts). */
  #sums(): readonly CountSum[] {
    return [
      this.inputTokens,
      this.outputTokens,
      this.cacheReadTokens,
      this.cacheWriteTokens,
      ...this.#estimate,
    ];
  }

  merge(other: UsageRow): void {
    this.eventCount += other.eventCount;
    this.sharedCount += other.sharedCount;
    this.reported.addSum(other.reported);
    this.noUsageCount += other.noUsageCount;
    this.estimateCount += other.estimateCount;
    if (other.#estimate.length > this.#estimate.length) this.#withBands();
    const mine = this.#sums();
    const theirs = other.#sums();
    for (let i = 0; i < theirs.length; i++) (mine[i] as CountSum).addSum(theirs[i] as CountSum);
  }

  toJSON(): UsageRowJson {
    // A number while it is one (the usual case, and cheaper both ways); else decimal text.
    const counts = [this.eventCount, this.sharedCount, this.noUsageCount, this.estimateCount];
    const reported = this.reported.exactNumber() ?? this.reported.total.toString();
    return rowJson(this.key, [...counts, reported, ...this.#sums().map((sum) => sum.toJSON())]);
  }

  /** The token and estimate sums, in the packed rows' order. */
  packedSums(): readonly CountSum[] {
    return this.#sums();
  }

  /** A row of packed sums `sums[from..to)`, checked by PackedRows.check. */
  static fromPacked(
    key: UsageRowKey,
    sums: readonly (number | string)[],
    from: number,
    to: number,
  ): UsageRow {
    const row = new UsageRow(key);
    row.addPacked(sums, from, to);
    return row;
  }

  /** Adds a row of packed sums `sums[from..to)` (checked by PackedRows.check) into this one. */
  addPacked(sums: readonly (number | string)[], from: number, to: number): void {
    this.eventCount += sums[from] as number;
    this.sharedCount += sums[from + 1] as number;
    this.noUsageCount += sums[from + 2] as number;
    this.estimateCount += sums[from + 3] as number;
    const reported = sums[from + 4] as number | string;
    if (typeof reported === "number") {
      if (reported !== 0) this.reported.addSafe(reported);
    } else this.reported.add(BigInt(reported) as PicoUsd);
    if (to - from > PACKED_SUMS) this.#withBands();
    // In #sums() order, without making that list: a warm report adds every cached row so.
    const at = from + PACKED_COUNTS;
    addPackedValue(this.inputTokens, sums[at] as number | string);
    addPackedValue(this.outputTokens, sums[at + 1] as number | string);
    addPackedValue(this.cacheReadTokens, sums[at + 2] as number | string);
    addPackedValue(this.cacheWriteTokens, sums[at + 3] as number | string);
    const estimate = this.#estimate;
    for (let i = at + 4, s = 0; i < to; i++, s++) {
      addPackedValue(estimate[s] as CountSum, sums[i] as number | string);
    }
  }

  /** A row from `toJSON()`'s output (a worker's message, a cache file); null when malformed. */
  static fromJSON(value: unknown): UsageRow | null {
    if (!Array.isArray(value)) return null;
    if (value.length !== ROW_LENGTH && value.length !== ROW_LENGTH + 1) return null;
    const v: readonly unknown[] = value;
    const [aggregateId, agent, model, eventModel, role, wpId, success, source] = v;
    const period = v.length > ROW_LENGTH ? v[ROW_LENGTH] : null;
    if (!isText(period)) return null;
    if (typeof aggregateId !== "string" || !isText(agent) || !isText(model)) return null;
    if (!isText(eventModel) || !isText(role) || !isText(wpId)) return null;
    if (!(success === null || typeof success === "boolean")) return null;
    if (!isText(source)) return null;
    const [eventCount, sharedCount] = [v[KEY_LENGTH], v[KEY_LENGTH + 1]];
    const [noUsage, estimates] = [v[REPORTED_AT + 1], v[REPORTED_AT + 2]];
    if (!isCount(eventCount) || !isCount(sharedCount)) return null;
    if (!isCount(noUsage) || !isCount(estimates)) return null;
    const row = new UsageRow({
      aggregateId,
      agent,
      model,
      eventModel,
      role,
      wpId,
      success,
      source,
      period,
    });
    const reported = v[REPORTED_AT];
    if (isCount(reported)) row.reported.addSafe(reported);
    else if (typeof reported === "string" && /^\d+$/.test(reported)) {
      row.reported.add(BigInt(reported) as PicoUsd);
    } else return null;
    row.eventCount = eventCount;
    row.sharedCount = sharedCount;
    row.noUsageCount = noUsage;
    row.estimateCount = estimates;
    const tiers = v[TIERS_AT];
    if (tiers !== null) {
      if (!Array.isArray(tiers) || tiers.length !== ESTIMATE_SUMS - RATE_CLASSES) return null;
      row.#withBands();
    }
    // Straight into the row's sums, in #sums() order: a warm report reads every cached row.
    const sums = row.#sums();
    let i = 0;
    for (let at = KEY_LENGTH + 2; at < REPORTED_AT; at++) {
      if (!(sums[i++] as CountSum).addJSON(v[at])) return null;
    }
    for (let at = BASE_AT; at < TIERS_AT; at++) {
      if (!(sums[i++] as CountSum).addJSON(v[at])) return null;
    }
    for (const tier of tiers ?? []) {
      if (!(sums[i++] as CountSum).addJSON(tier)) return null;
    }
    return row;
  }
}

const TEXT_KEYS = 7;
const PACKED_KEYS = TEXT_KEYS + 2;
const DIGITS = /^\d{1,400}$/;

/** Validated packed rows; a row is decoded (a UsageRow) only when it is asked for. */
class PackedRows {
  readonly json: PackedRowsJson;
  /** Where each row's sums start (one more: the end). */
  readonly #at: Uint32Array;

  private constructor(json: PackedRowsJson, at: Uint32Array) {
    this.json = json;
    this.#at = at;
  }

  get length(): number {
    return this.#at.length - 1;
  }

  /** The rows, checked whole (indexes, counts, sums); null when anything is malformed. */
  static check(value: unknown): PackedRows | null {
    if (typeof value !== "object" || value === null) return null;
    const { strings, keys, sums } = value as Partial<Record<keyof PackedRowsJson, unknown>>;
    if (!Array.isArray(strings) || !Array.isArray(keys) || !Array.isArray(sums)) return null;
    if (!strings.every((s) => typeof s === "string")) return null;
    if (keys.length % PACKED_KEYS !== 0) return null;
    const count = keys.length / PACKED_KEYS;
    const at = new Uint32Array(count + 1);
    let next = 0;
    for (let r = 0; r < count; r++) {
      const k = r * PACKED_KEYS;
      for (let f = 0; f < PACKED_KEYS; f++) {
        const v = keys[k + f];
        const max = f < TEXT_KEYS ? strings.length - 1 : 1;
        if (!Number.isInteger(v) || v < (f === TEXT_KEYS + 1 ? 0 : -1) || v > max) return null;
      }
      if (keys[k] === -1) return null; // the aggregate id is never null
      at[r] = next;
      const end = next + (keys[k + TEXT_KEYS + 1] === 1 ? PACKED_BAND_SUMS : PACKED_SUMS);
      if (end > sums.length) return null;
      for (let i = next; i < end; i++) {
        const v = sums[i];
        if (isCount(v)) continue;
        // Counts of events are safe integers; money and tokens may be past 2^53 (as text).
        if (i - next < PACKED_COUNTS - 1 || typeof v !== "string" || !DIGITS.test(v)) return null;
      }
      next = end;
    }
    if (next !== sums.length) return null;
    at[count] = next;
    return new PackedRows(value as PackedRowsJson, at);
  }

  /** Row `r` as a UsageRow of its own. */
  row(r: number): UsageRow {
    const { strings, keys, sums } = this.json;
    const k = r * PACKED_KEYS;
    const text = (f: number) => {
      const i = keys[k + f] as number;
      return i === -1 ? null : (strings[i] as string);
    };
    const outcome = keys[k + TEXT_KEYS] as number;
    return UsageRow.fromPacked(
      {
        aggregateId: text(0) as string,
        agent: text(1),
        model: text(2),
        eventModel: text(3),
        role: text(4),
        wpId: text(5),
        source: text(6),
        success: outcome === -1 ? null : outcome === 1,
        period: null,
      },
      sums,
      this.#at[r] as number,
      this.#at[r + 1] as number,
    );
  }

  *[Symbol.iterator](): IterableIterator<UsageRow> {
    for (let r = 0; r < this.length; r++) yield this.row(r);
  }

  /** Where row `r`'s sums start in `json.sums` (`r + 1`: where they end). */
  sumsAt(r: number): number {
    return this.#at[r] as number;
  }

  /** An id of row `r`'s key cut down to the fields of `keep`: equal for rows of one such key. */
  projectedId(r: number, keep: number): string {
    const { keys } = this.json;
    const k = r * PACKED_KEYS;
    let id = `${keys[k + 2]}`; // the model, always kept
    for (let i = 0; i < PROJECTED_FIELDS.length; i += 2) {
      const f = PROJECTED_FIELDS[i] as number;
      id += keep & (PROJECTED_FIELDS[i + 1] as number) ? `,${keys[k + f]}` : ",";
    }
    return id;
  }

  /** Row `r`'s key cut down to the fields of `keep` (as `projectedKey`). */
  projectedKey(r: number, keep: number): UsageRowKey {
    const { strings, keys } = this.json;
    const k = r * PACKED_KEYS;
    const text = (f: number, bit: number) => {
      const i = keys[k + f] as number;
      return (keep & bit) === 0 || i === -1 ? null : (strings[i] as string);
    };
    const outcome = keys[k + TEXT_KEYS] as number;
    const model = keys[k + 2] as number;
    return {
      aggregateId: text(0, KEY_FIELD_BITS.aggregateId) ?? "",
      agent: text(1, KEY_FIELD_BITS.agent),
      model: model === -1 ? null : (strings[model] as string),
      eventModel: text(3, KEY_FIELD_BITS.eventModel),
      role: text(4, KEY_FIELD_BITS.role),
      wpId: text(5, KEY_FIELD_BITS.wpId),
      source: text(6, KEY_FIELD_BITS.source),
      success: keep & KEY_FIELD_BITS.success && outcome !== -1 ? outcome === 1 : null,
      period: null,
    };
  }
}

// The packed key's fields a projection may leave out, each with its bit (the model is kept).
const PROJECTED_FIELDS = [
  0,
  KEY_FIELD_BITS.aggregateId,
  1,
  KEY_FIELD_BITS.agent,
  3,
  KEY_FIELD_BITS.eventModel,
  4,
  KEY_FIELD_BITS.role,
  5,
  KEY_FIELD_BITS.wpId,
  6,
  KEY_FIELD_BITS.source,
  TEXT_KEYS,
  KEY_FIELD_BITS.success,
];

/** A key with only the fields of `keep` (KEY_FIELD_BITS; the others emptied, as a scan does). */
export function projectedKey(k: UsageRowKey, keep: number): UsageRowKey {
  return {
    aggregateId: keep & KEY_FIELD_BITS.aggregateId ? k.aggregateId : "",
    agent: keep & KEY_FIELD_BITS.agent ? k.agent : null,
    model: k.model,
    eventModel: keep & KEY_FIELD_BITS.eventModel ? k.eventModel : null,
    role: keep & KEY_FIELD_BITS.role ? k.role : null,
    wpId: keep & KEY_FIELD_BITS.wpId ? k.wpId : null,
    success: keep & KEY_FIELD_BITS.success ? k.success : null,
    source: keep & KEY_FIELD_BITS.source ? k.source : null,
    period: k.period,
  };
}

/** Rows packed as PackedRowsJson describes; rows kept apart by period cannot be. */
function packRows(rows: Iterable<UsageRow>): PackedRowsJson {
  const strings: string[] = [];
  const text = stringIndexer(strings);
  const keys: number[] = [];
  const sums: (number | string)[] = [];
  for (const row of rows) {
    const k = row.key;
    if (k.period !== null) throw new Error("rows with a period are not packed");
    const bands = row.estimate.length > RATE_CLASSES;
    keys.push(text(k.aggregateId), text(k.agent), text(k.model), text(k.eventModel));
    keys.push(text(k.role), text(k.wpId), text(k.source));
    keys.push(k.success === null ? -1 : k.success ? 1 : 0, bands ? 1 : 0);
    for (const sum of packedSums(row)) sums.push(sum);
  }
  return { strings, keys, sums };
}

/**
 * A packed table's string index of a key field (-1 for null): `strings` holds each distinct
 * string once (the first index of a string already in it), new ones are added at its end.
 */
function stringIndexer(strings: string[]): (s: string | null) => number {
  const index = new Map<string, number>();
  for (const [i, s] of strings.entries()) if (!index.has(s)) index.set(s, i);
  return (s) => (s === null ? -1 : indexOrAdd(strings, index, s));
}

/** A row's packed sums (see PackedRowsJson). */
function packedSums(row: UsageRow): (number | string)[] {
  const packed: (number | string)[] = [
    row.eventCount,
    row.sharedCount,
    row.noUsageCount,
    row.estimateCount,
    row.reported.exactNumber() ?? row.reported.total.toString(),
  ];
  for (const sum of row.packedSums()) packed.push(sum.toJSON());
  return packed;
}

/** The exact sum of two packed values: a number while it is a safe integer, else its digits. */
function addPacked(a: number | string, b: number | string): number | string {
  if (typeof a === "number" && typeof b === "number") {
    // Exact when the true sum is safe (see CountSum.add).
    const sum = a + b;
    if (sum <= Number.MAX_SAFE_INTEGER) return sum;
  }
  const big = BigInt(a) + BigInt(b);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

/** A row to sum into packed rows: its key's 7 texts (null for none), its outcome, its packed sums. */
interface PackedEntry {
  readonly texts: readonly (string | null)[];
  /** -1, 0 or 1, as packed keys hold it. */
  readonly outcome: number;
  readonly sums: readonly (number | string)[];
}

function* entriesOfRows(rows: readonly UsageRow[]): Generator<PackedEntry> {
  for (const row of rows) {
    const k = row.key;
    if (k.period !== null) throw new Error("rows with a period are not packed");
    const texts = [k.aggregateId, k.agent, k.model, k.eventModel, k.role, k.wpId, k.source];
    const outcome = k.success === null ? -1 : k.success ? 1 : 0;
    yield { texts, outcome, sums: packedSums(row) };
  }
}

/** Packed rows as entries, none decoded into a UsageRow. */
function* entriesOfPacked(packed: PackedRows): Generator<PackedEntry> {
  const { strings, keys, sums } = packed.json;
  for (let r = 0; r < packed.length; r++) {
    const k = r * PACKED_KEYS;
    const texts: (string | null)[] = [];
    for (let f = 0; f < TEXT_KEYS; f++) {
      const i = keys[k + f] as number;
      texts.push(i === -1 ? null : (strings[i] as string));
    }
    const outcome = keys[k + TEXT_KEYS] as number;
    yield { texts, outcome, sums: sums.slice(packed.sumsAt(r), packed.sumsAt(r + 1)) };
  }
}

/**
 * Packed rows (valid: PackedRows.check) with `entries` added, one row per key as `packRows` of
 * all of them would hold them: a row whose key is among them is summed into it, the others
 * follow. Null when an event count would pass 2^53 (a packed count must be a number).
 */
function packedWith(packed: PackedRowsJson, entries: Iterable<PackedEntry>): PackedRowsJson | null {
  const strings = [...packed.strings];
  const text = stringIndexer(strings);
  // Copies of the lists, summed into in place; rows of new keys go at their end.
  const keys = [...packed.keys];
  const sums = [...packed.sums];
  // Where each row's sums start (one more: the end), and the rows by key (the first of a key).
  const at: number[] = [];
  const byKey = new PackedKeyIndex(keys, PACKED_KEYS, TEXT_KEYS + 1);
  let end = 0;
  for (let k = 0; k < keys.length; k += PACKED_KEYS) {
    byKey.add(at.length);
    at.push(end);
    end += keys[k + TEXT_KEYS + 1] === 1 ? PACKED_BAND_SUMS : PACKED_SUMS;
  }
  at.push(end);
  // The long-context bands of rows that had none until a row with them was summed into them.
  const bands = new Map<number, (number | string)[]>();
  for (const entry of entries) {
    const key = entry.texts.map(text);
    key.push(entry.outcome);
    const theirs = entry.sums;
    const mine = byKey.find(key);
    if (mine === -1) {
      keys.push(...key, theirs.length === PACKED_BAND_SUMS ? 1 : 0);
      byKey.add(at.length - 1);
      for (const v of theirs) sums.push(v);
      at.push(sums.length);
      continue;
    }
    const from = at[mine] as number;
    const length = (at[mine + 1] as number) - from;
    for (let i = 0; i < theirs.length; i++) {
      const v = theirs[i] as number | string;
      if (i < length) {
        const sum = addPacked(sums[from + i] as number | string, v);
        if (i < PACKED_COUNTS - 1 && typeof sum !== "number") return null;
        sums[from + i] = sum;
        continue;
      }
      // Bands summed into a row without them (the other's bands are 0): kept aside until the
      // lists are laid out again below.
      let extra = bands.get(mine);
      if (extra === undefined) {
        extra = [];
        bands.set(mine, extra);
      }
      extra[i - length] = addPacked(extra[i - length] ?? 0, v);
    }
  }
  if (bands.size === 0) return { strings, keys, sums };
  const laidOut: (number | string)[] = [];
  for (let r = 0; r + 1 < at.length; r++) {
    for (let i = at[r] as number; i < (at[r + 1] as number); i++)
      laidOut.push(sums[i] as number | string);
    const extra = bands.get(r);
    if (extra === undefined) continue;
    for (const v of extra) laidOut.push(v);
    keys[r * PACKED_KEYS + TEXT_KEYS + 1] = 1;
  }
  return { strings, keys, sums: laidOut };
}

/**
 * A row as its key (the 7 key values, no period) and its sums as one flat list (counts, token
 * sums, reported pico-dollars, estimate sums of every band, 0 for bands not used): the shape a
 * store that adds rows up itself (PostgreSQL) keeps, element by element.
 */
export function rowKeyAndSums(row: UsageRow): {
  readonly key: readonly (string | boolean | null)[];
  readonly sums: readonly (number | string)[];
} {
  const json = row.toJSON();
  const tiers = json[TIERS_AT];
  const flat = [
    ...json.slice(KEY_LENGTH, TIERS_AT),
    ...(Array.isArray(tiers) ? tiers : new Array<number>(ESTIMATE_SUMS - RATE_CLASSES).fill(0)),
  ];
  return {
    key: json.slice(0, KEY_LENGTH) as (string | boolean | null)[],
    sums: flat as (number | string)[],
  };
}

/** The row whose key and summed sums (rowKeyAndSums, added up) these are; null when malformed. */
export function rowFromKeyAndSums(
  key: readonly unknown[],
  sums: readonly (number | string)[],
  period: string | null,
): UsageRow | null {
  if (key.length !== KEY_LENGTH || sums.length !== ESTIMATE_SUMS + 9) return null;
  // Decimal text past 2^53, numbers below (as a row's JSON has them).
  const value = (v: number | string) => {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : String(v);
  };
  const flat = sums.map(value);
  const tiers = flat.slice(TIERS_AT - KEY_LENGTH);
  const json = [
    ...key,
    ...flat.slice(0, TIERS_AT - KEY_LENGTH),
    tiers.some((t) => t !== 0) ? tiers : null,
    ...(period === null ? [] : [period]),
  ];
  return UsageRow.fromJSON(json);
}

function isText(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * A row as plain JSON: its key, its event and shared counts, its token sums, the reported
 * pico-dollars (a number, or text past 2^53), the no-usage and estimate counts and the
 * estimate's sums (numbers, or text past 2^53); see rowJson.
 */
export type UsageRowJson = RowJson;

type Level<T> = Map<string | null, T>;

function getOrAdd<T>(level: Level<Level<T>>, key: string | null): Level<T> {
  let next = level.get(key);
  if (next === undefined) {
    next = new Map();
    level.set(key, next);
  }
  return next;
}

const outcomeSlot = (success: boolean | null) => (success === null ? 0 : success ? 1 : 2);

// Up to this many rows, events added into an empty set become a list of rows (see #settle).
const FEW_ROWS = 16;

/** The rows of one log (or part of one), one per distinct key. */
export class UsageRows {
  #list: UsageRow[] = [];
  // Rows by field, map in map: no key string is built per event or per row (and a scan's
  // strings are interned, so each lookup hashes a string whose hash is already known).
  readonly #index: Level<
    Level<Level<Level<Level<Level<Level<Level<(UsageRow | undefined)[]>>>>>>>
  > = new Map();
  /**
   * False while the list holds rows read by addJSON into an empty set and not yet indexed: a
   * warm report with nothing appended only lists and sums them, so their index (a few Maps per
   * row) is built only when a row is looked up (#indexAll).
   */
  #indexed = true;
  /**
   * Events added since the rows were last looked at (`add`), summed in a compact table: the
   * other methods take them into the rows first (#settle).
   */
  #table: RowTable | null = null;
  /**
   * Rows read from the cache (addPacked into an empty set), kept packed while they are only
   * listed: a warm report decodes each as it sums it, and keeps none. Rows added after (an
   * append's) go into the list beside them, looked up there alone: a key may then be in both,
   * which a sum over all rows does not mind. What needs one row per key (`size`, `toJSON`, a
   * changed `toPacked`) decodes them into the list first (#unpack).
   */
  #packed: PackedRows | null = null;

  /** Adds an event (see RowTable.add), or its fields of `keep` (KEY_FIELD_BITS). */
  add(e: EventFields, period: string | null = null, keep = ALL_KEY_FIELDS): void {
    this.#table ??= new RowTable();
    this.#table.add(e, period, keep);
  }

  /**
   * Takes the events added since into the rows. Into a set that holds nothing else: a scan's
   * many rows as packed rows (then sent, cached and pooled in that form, never made rows of
   * objects), a few (one event's, a cost accumulator's) or rows kept apart by period as a list
   * (their keys differ: no index is built unless a row is looked up). Else row by row, each
   * merged into the row of its key.
   */
  #settle(): void {
    const table = this.#table;
    if (table === null) return;
    this.#table = null;
    const alone = this.#list.length === 0 && this.#packed === null;
    if (alone && !table.hasPeriods && table.size > FEW_ROWS) {
      const packed = PackedRows.check(table.packed());
      if (packed === null) throw new Error("a row table packed rows that do not check");
      this.#packed = packed;
      return;
    }
    for (let r = 0; r < table.size; r++) {
      const sums = table.sumsOf(r);
      const row = UsageRow.fromPacked(table.keyOf(r), sums, 0, sums.length);
      if (alone) this.#list.push(row);
      else this.#take(row);
    }
    if (alone && table.size > 0) this.#indexed = false;
  }

  /** The row for a key; `fresh` (or a new empty row) is taken as it when there is none yet. */
  #rowFor(
    aggregateId: string,
    agent: string | null,
    model: string | null,
    eventModel: string | null,
    role: string | null,
    wpId: string | null,
    success: boolean | null,
    source: string | null,
    period: string | null,
    fresh?: UsageRow,
  ): UsageRow {
    if (!this.#indexed) this.#indexAll();
    const byAgent = getOrAdd(this.#index, aggregateId);
    const byModel = getOrAdd(byAgent, agent);
    const byEventModel = getOrAdd(byModel, model);
    const byRole = getOrAdd(byEventModel, eventModel);
    const byWp = getOrAdd(byRole, role);
    const bySource = getOrAdd(byWp, wpId);
    // The period last: rows kept apart by period share the levels above (few Maps per row).
    const byPeriod = getOrAdd(bySource, source);
    let outcomes = byPeriod.get(period);
    if (outcomes === undefined) {
      outcomes = [undefined, undefined, undefined];
      byPeriod.set(period, outcomes);
    }
    const slot = outcomeSlot(success);
    let row = outcomes[slot];
    if (row === undefined) {
      row =
        fresh ??
        new UsageRow({
          aggregateId,
          agent,
          model,
          eventModel,
          role,
          wpId,
          success,
          source,
          period,
        });
      outcomes[slot] = row;
      this.#list.push(row);
    }
    return row;
  }

  #rowOf(key: UsageRowKey, fresh?: UsageRow): UsageRow {
    const { aggregateId, agent, model, eventModel, role, wpId, success, source, period } = key;
    return this.#rowFor(
      aggregateId,
      agent,
      model,
      eventModel,
      role,
      wpId,
      success,
      source,
      period,
      fresh,
    );
  }

  /** Adds another part's rows into these. */
  merge(other: Iterable<UsageRow>): void {
    this.#settle();
    if (other instanceof UsageRows && this.#mergePacked(other)) return;
    for (const row of other) this.#rowOf(row.key).merge(row);
  }

  /**
   * Packed rows (a cache entry's) and another set's packed rows (what was appended since, as a
   * scan packs them) summed into one packed table, no row of either decoded into a UsageRow:
   * the save and the pooling that follow an append take packed rows as they are. False (nothing
   * done) when either set holds other rows too, or a count would pass 2^53 (then row by row).
   */
  #mergePacked(other: UsageRows): boolean {
    other.#settle();
    const mine = this.#packed;
    const theirs = other.#packed;
    if (mine === null || theirs === null || this.#list.length > 0 || other.#list.length > 0) {
      return false;
    }
    const merged = packedWith(mine.json, entriesOfPacked(theirs));
    const checked = merged === null ? null : PackedRows.check(merged);
    if (checked === null) return false;
    this.#packed = checked;
    return true;
  }

  /**
   * Adds another set's rows into these, each key cut down to the fields of `keep`
   * (`projectedKey`). Packed rows are added from their sums, none decoded into a row: a warm
   * report pools every cached row of every log so.
   */
  mergeProjected(other: UsageRows, keep: number): void {
    this.#settle();
    other.#settle();
    const packed = other.#packed;
    if (packed !== null) {
      // Many rows share a projected key: each is looked up here once.
      const rows = new Map<string, UsageRow>();
      const sums = packed.json.sums;
      for (let r = 0; r < packed.length; r++) {
        const id = packed.projectedId(r, keep);
        let row = rows.get(id);
        if (row === undefined) {
          row = this.#rowOf(packed.projectedKey(r, keep));
          rows.set(id, row);
        }
        row.addPacked(sums, packed.sumsAt(r), packed.sumsAt(r + 1));
      }
    }
    for (const row of other.#list) this.#rowOf(projectedKey(row.key, keep)).merge(row);
  }

  get size(): number {
    this.#settle();
    if (this.#packed !== null) this.#unpack();
    if (!this.#indexed) this.#indexAll();
    return this.#list.length;
  }

  /** The rows; packed ones are decoded one by one (each a row of its own, not kept here). */
  [Symbol.iterator](): IterableIterator<UsageRow> {
    this.#settle();
    const packed = this.#packed;
    if (packed === null) return this.#list.values();
    const list = this.#list;
    return (function* () {
      yield* packed;
      yield* list;
    })();
  }

  toJSON(): UsageRowJson[] {
    // Events only added (a dashboard's range, rows by period): written from the table as they are.
    const table = this.#table;
    if (table !== null && this.#list.length === 0 && this.#packed === null) {
      return Array.from({ length: table.size }, (_, r) => table.rowJson(r));
    }
    this.#settle();
    if (this.#packed !== null) {
      this.#unpack();
      this.#indexAll();
    }
    return this.#list.map((row) => row.toJSON());
  }

  /** The rows packed (the cache's form; see PackedRowsJson); none may have a period. */
  toPacked(): PackedRowsJson {
    this.#settle();
    if (this.#packed !== null && this.#list.length === 0) return this.#packed.json;
    // An append's rows merged into the packed ones as they are (a save after an append would
    // otherwise decode every cached row); unless a count could pass 2^53 there.
    const merged =
      this.#packed === null ? null : packedWith(this.#packed.json, entriesOfRows(this.#list));
    if (merged !== null) return merged;
    this.#unpack();
    if (!this.#indexed) this.#indexAll();
    return packRows(this.#list);
  }

  /** Adds into these the rows of `toPacked()`'s output; false when it is malformed. */
  addPacked(value: unknown): boolean {
    this.#settle();
    const packed = PackedRows.check(value);
    if (packed === null) return false;
    if (this.#list.length === 0 && this.#packed === null) {
      if (packed.length > 0) this.#packed = packed;
    } else for (const row of packed) this.#take(row); // looked up among the list's rows
    return true;
  }

  /**
   * Sums into these the rows of `toPacked()`'s output as events are (into the table #settle
   * takes in): a scan's parts pooled with no row of objects per row. False when malformed.
   */
  sumPacked(value: unknown): boolean {
    const packed = PackedRows.check(value);
    if (packed === null) return false;
    // With `periods` (packedByPeriod): one per row, each a string's index or -1.
    const periods = (value as { periods?: unknown }).periods;
    if (periods !== undefined) {
      const last = packed.json.strings.length - 1;
      const ok = (p: unknown) =>
        Number.isInteger(p) && (p as number) >= -1 && (p as number) <= last;
      if (!Array.isArray(periods) || periods.length !== packed.length || !periods.every(ok)) {
        return false;
      }
    }
    this.#table ??= new RowTable();
    this.#table.addPacked(value as PackedRowsJson | PeriodPackedJson);
    return true;
  }

  /**
   * The rows with their periods, packed, when the set only summed events (a range's rows by
   * period: sent so, with no row of objects made); else null (send `toJSON()`).
   */
  packedByPeriod(): PeriodPackedJson | null {
    const table = this.#table;
    if (table === null || this.#list.length > 0 || this.#packed !== null) return null;
    return table.packedByPeriod();
  }

  #unpack(): void {
    const packed = this.#packed;
    if (packed === null) return;
    this.#packed = null;
    // Listed before the rows added since (as they were summed), all indexed when next looked
    // up: that merges a key found in both.
    this.#list = [...packed, ...this.#list];
    this.#index.clear();
    this.#indexed = false;
  }

  /** Adds into these the rows of `toJSON()`'s output; false when any is malformed. */
  addJSON(value: unknown): boolean {
    this.#settle();
    if (!Array.isArray(value)) return false;
    if (this.#packed !== null) this.#unpack();
    const listOnly = this.#list.length === 0;
    for (const item of value) {
      const row = UsageRow.fromJSON(item);
      if (row === null) return false;
      if (listOnly) this.#list.push(row);
      else this.#take(row);
    }
    if (listOnly && this.#list.length > 0) {
      this.#indexed = false;
    }
    return true;
  }

  /** Adds a row of its own (not shared with another set): as it is when its key is new. */
  #take(row: UsageRow): void {
    const mine = this.#rowOf(row.key, row);
    if (mine !== row) mine.merge(row);
  }

  /** Indexes the listed rows, merging any two with one key (a list read as it was written). */
  #indexAll(): void {
    this.#indexed = true;
    for (const row of this.#list.splice(0)) this.#take(row);
  }
}
