import { CountSum } from "./count-sum.js";
import { PicoSum, type PicoUsd } from "./money.js";
import type { EventFields } from "./scan/event-fields.js";

/**
 * A log's execution events summed by everything a report can group or filter by except time:
 * feature, agent, model, role, work package and outcome. Any cost report (any --group-by, any
 * field filter, any pricing table) is a roll-up of these rows, because an estimate is linear in
 * the token counts: rate x (sum of counts) = sum of (rate x count), exactly, in integers. So the
 * rows hold no prices and stay true when the pricing file changes.
 */
export interface UsageRowKey {
  readonly aggregateId: string;
  readonly agent: string | null;
  readonly model: string | null;
  readonly role: string | null;
  readonly wpId: string | null;
  readonly success: boolean | null;
}

/**
 * How an event's cost is known before any price is looked up: the one classification used by
 * the report's rows and by a single event's cost (`eventCost`). A reported `cost_usd` (0.0
 * included) wins; an event with neither a cost nor a billed token count has no usage; any other
 * is estimated from its tokens (or unpriced, when the table has no rate for its model).
 */
export type UsageKind = "reported" | "no-usage" | "tokens";

/** The usage kind of an event's fields (see UsageKind). */
export function usageKind(e: EventFields): UsageKind {
  if (!Number.isNaN(e.costUsd)) return "reported";
  const noTokens =
    e.inputTokens === null &&
    e.outputTokens === null &&
    e.cacheReadTokens === null &&
    e.cacheWriteTokens === null;
  return noTokens ? "no-usage" : "tokens";
}

/** The model an estimate is priced by: none when the event names none (null or ""). */
export function pricedModel(model: string | null): string | null {
  return model !== null && model !== "" ? model : null;
}

// The row's JSON: its key (6 values), its event count, the 4 token sums, the reported
// pico-dollars, the no-usage count, the estimate count and the estimate's 4 token sums.
const ROW_LENGTH = 18;
const REPORTED_AT = 11;

/** The sums of one row; token counts a null stands for are summed as 0. Sums are exact. */
export class UsageRow {
  /** What the row's events have in common (a copy: the scanner reuses its objects). */
  readonly key: UsageRowKey;
  eventCount = 0;
  readonly inputTokens = new CountSum();
  readonly outputTokens = new CountSum();
  readonly cacheReadTokens = new CountSum();
  readonly cacheWriteTokens = new CountSum();
  /** Costs the agents reported. */
  readonly reported = new PicoSum();
  /** Events with neither a cost nor a token count. */
  noUsageCount = 0;
  /** Events with no cost but tokens: priced (or not) by the report, from the sums below. */
  estimateCount = 0;
  readonly estimateInputTokens = new CountSum();
  readonly estimateOutputTokens = new CountSum();
  readonly estimateCacheReadTokens = new CountSum();
  readonly estimateCacheWriteTokens = new CountSum();

  constructor(key: UsageRowKey) {
    const { aggregateId, agent, model, role, wpId, success } = key;
    this.key = { aggregateId, agent, model, role, wpId, success };
  }

  /** The token sums and the other counts, in the JSON's order (after the key). */
  #sums(): readonly CountSum[] {
    return [
      this.inputTokens,
      this.outputTokens,
      this.cacheReadTokens,
      this.cacheWriteTokens,
      this.estimateInputTokens,
      this.estimateOutputTokens,
      this.estimateCacheReadTokens,
      this.estimateCacheWriteTokens,
    ];
  }

  add(e: EventFields): void {
    const input = e.inputTokens ?? 0;
    const output = e.outputTokens ?? 0;
    const cacheRead = e.cacheReadTokens ?? 0;
    const cacheWrite = e.cacheWriteTokens ?? 0;
    this.eventCount++;
    this.inputTokens.add(input);
    this.outputTokens.add(output);
    this.cacheReadTokens.add(cacheRead);
    this.cacheWriteTokens.add(cacheWrite);
    switch (usageKind(e)) {
      case "reported":
        this.reported.addUsd(e.costUsd);
        break;
      case "no-usage":
        this.noUsageCount++;
        break;
      case "tokens":
        this.estimateCount++;
        this.estimateInputTokens.add(input);
        this.estimateOutputTokens.add(output);
        this.estimateCacheReadTokens.add(cacheRead);
        this.estimateCacheWriteTokens.add(cacheWrite);
        break;
    }
  }

  merge(other: UsageRow): void {
    this.eventCount += other.eventCount;
    this.reported.addSum(other.reported);
    this.noUsageCount += other.noUsageCount;
    this.estimateCount += other.estimateCount;
    const mine = this.#sums();
    const theirs = other.#sums();
    for (let i = 0; i < mine.length; i++) (mine[i] as CountSum).addSum(theirs[i] as CountSum);
  }

  toJSON(): UsageRowJson {
    return [
      this.key.aggregateId,
      this.key.agent,
      this.key.model,
      this.key.role,
      this.key.wpId,
      this.key.success,
      this.eventCount,
      this.inputTokens.toJSON(),
      this.outputTokens.toJSON(),
      this.cacheReadTokens.toJSON(),
      this.cacheWriteTokens.toJSON(),
      // A number while it is one (the usual case, and cheaper both ways); else decimal text.
      this.reported.exactNumber() ?? this.reported.total.toString(),
      this.noUsageCount,
      this.estimateCount,
      this.estimateInputTokens.toJSON(),
      this.estimateOutputTokens.toJSON(),
      this.estimateCacheReadTokens.toJSON(),
      this.estimateCacheWriteTokens.toJSON(),
    ];
  }

  /** A row from `toJSON()`'s output (a worker's message, a cache file); null when malformed. */
  static fromJSON(value: unknown): UsageRow | null {
    if (!Array.isArray(value) || value.length !== ROW_LENGTH) return null;
    const v: readonly unknown[] = value;
    const [aggregateId, agent, model, role, wpId, success, eventCount] = v;
    if (typeof aggregateId !== "string" || !isText(agent) || !isText(model)) return null;
    if (!isText(role) || !isText(wpId) || !(success === null || typeof success === "boolean")) {
      return null;
    }
    const noUsage = v[12];
    const estimates = v[13];
    if (!isCount(eventCount) || !isCount(noUsage) || !isCount(estimates)) return null;
    const row = new UsageRow({ aggregateId, agent, model, role, wpId, success });
    const reported = v[REPORTED_AT];
    if (isCount(reported)) row.reported.addSafe(reported);
    else if (typeof reported === "string" && /^\d+$/.test(reported)) {
      row.reported.add(BigInt(reported) as PicoUsd);
    } else return null;
    row.eventCount = eventCount;
    row.noUsageCount = noUsage;
    row.estimateCount = estimates;
    const sums = row.#sums();
    const at = [7, 8, 9, 10, 14, 15, 16, 17];
    for (let i = 0; i < sums.length; i++) {
      const sum = CountSum.fromJSON(v[at[i] as number]);
      if (sum === null) return null;
      (sums[i] as CountSum).addSum(sum);
    }
    return row;
  }
}

function isText(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** A row as plain JSON: its key, then its sums (token sums and the reported pico-dollars: a number, or text past 2^53). */
export type UsageRowJson = readonly [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  boolean | null,
  number,
  number | string,
  number | string,
  number | string,
  number | string,
  number | string,
  number,
  number,
  number | string,
  number | string,
  number | string,
  number | string,
];

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

/** The rows of one log (or part of one), one per distinct key. */
export class UsageRows {
  readonly #list: UsageRow[] = [];
  // Rows by field, map in map: no key string is built per event or per row (and a scan's
  // strings are interned, so each lookup hashes a string whose hash is already known).
  readonly #index: Level<Level<Level<Level<Level<(UsageRow | undefined)[]>>>>> = new Map();

  add(e: EventFields): void {
    this.#rowFor(e).add(e);
  }

  /** The row for `key`; `fresh` (or a new empty row) is taken as it when there is none yet. */
  #rowFor(key: UsageRowKey, fresh?: UsageRow): UsageRow {
    const byAgent = getOrAdd(this.#index, key.aggregateId);
    const byModel = getOrAdd(byAgent, key.agent);
    const byRole = getOrAdd(byModel, key.model);
    const byWp = getOrAdd(byRole, key.role);
    let outcomes = byWp.get(key.wpId);
    if (outcomes === undefined) {
      outcomes = [undefined, undefined, undefined];
      byWp.set(key.wpId, outcomes);
    }
    const slot = outcomeSlot(key.success);
    let row = outcomes[slot];
    if (row === undefined) {
      row = fresh ?? new UsageRow(key);
      outcomes[slot] = row;
      this.#list.push(row);
    }
    return row;
  }

  /** Adds another part's rows into these. */
  merge(other: Iterable<UsageRow>): void {
    for (const row of other) this.#rowFor(row.key).merge(row);
  }

  get size(): number {
    return this.#list.length;
  }

  [Symbol.iterator](): IterableIterator<UsageRow> {
    return this.#list.values();
  }

  toJSON(): UsageRowJson[] {
    return this.#list.map((row) => row.toJSON());
  }

  /** Adds into these the rows of `toJSON()`'s output; false when any is malformed. */
  addJSON(value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    for (const item of value) {
      const row = UsageRow.fromJSON(item);
      if (row === null) return false;
      const mine = this.#rowFor(row.key, row);
      if (mine !== row) mine.merge(row);
    }
    return true;
  }
}
