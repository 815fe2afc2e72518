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

/** The sums of one row; token counts a null stands for are summed as 0. */
export class UsageRow {
  /** What the row's events have in common (a copy: the scanner reuses its objects). */
  readonly key: UsageRowKey;
  eventCount = 0;
  inputTokens = 0;
  outputTokens = 0;
  cacheReadTokens = 0;
  cacheWriteTokens = 0;
  /** Costs the agents reported. */
  readonly reported = new PicoSum();
  /** Events with neither a cost nor a token count. */
  noUsageCount = 0;
  /** Events with no cost but tokens: priced (or not) by the report, from the sums below. */
  estimateCount = 0;
  estimateInputTokens = 0;
  estimateOutputTokens = 0;
  estimateCacheReadTokens = 0;
  estimateCacheWriteTokens = 0;

  constructor(key: UsageRowKey) {
    const { aggregateId, agent, model, role, wpId, success } = key;
    this.key = { aggregateId, agent, model, role, wpId, success };
  }

  add(e: EventFields): void {
    const input = e.inputTokens ?? 0;
    const output = e.outputTokens ?? 0;
    const cacheRead = e.cacheReadTokens ?? 0;
    const cacheWrite = e.cacheWriteTokens ?? 0;
    this.eventCount++;
    this.inputTokens += input;
    this.outputTokens += output;
    this.cacheReadTokens += cacheRead;
    this.cacheWriteTokens += cacheWrite;
    if (!Number.isNaN(e.costUsd)) {
      this.reported.addUsd(e.costUsd);
    } else if (
      e.inputTokens === null &&
      e.outputTokens === null &&
      e.cacheReadTokens === null &&
      e.cacheWriteTokens === null
    ) {
      this.noUsageCount++;
    } else {
      this.estimateCount++;
      this.estimateInputTokens += input;
      this.estimateOutputTokens += output;
      this.estimateCacheReadTokens += cacheRead;
      this.estimateCacheWriteTokens += cacheWrite;
    }
  }

  merge(other: UsageRow): void {
    this.eventCount += other.eventCount;
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    this.cacheReadTokens += other.cacheReadTokens;
    this.cacheWriteTokens += other.cacheWriteTokens;
    this.reported.addSum(other.reported);
    this.noUsageCount += other.noUsageCount;
    this.estimateCount += other.estimateCount;
    this.estimateInputTokens += other.estimateInputTokens;
    this.estimateOutputTokens += other.estimateOutputTokens;
    this.estimateCacheReadTokens += other.estimateCacheReadTokens;
    this.estimateCacheWriteTokens += other.estimateCacheWriteTokens;
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
      this.inputTokens,
      this.outputTokens,
      this.cacheReadTokens,
      this.cacheWriteTokens,
      // A number while it is one (the usual case, and cheaper both ways); else decimal text.
      this.reported.exactNumber() ?? this.reported.total.toString(),
      this.noUsageCount,
      this.estimateCount,
      this.estimateInputTokens,
      this.estimateOutputTokens,
      this.estimateCacheReadTokens,
      this.estimateCacheWriteTokens,
    ];
  }

  /** A row from `toJSON()`'s output (a worker's message, a cache file); null when malformed. */
  static fromJSON(value: unknown): UsageRow | null {
    if (!Array.isArray(value) || value.length !== 18) return null;
    const v = value as unknown[];
    const [aggregateId, agent, model, role, wpId, success] = v;
    if (typeof aggregateId !== "string" || !isText(agent) || !isText(model)) return null;
    if (!isText(role) || !isText(wpId) || !(success === null || typeof success === "boolean")) {
      return null;
    }
    for (let i = 6; i < 18; i++) if (i !== REPORTED_AT && !isCount(v[i])) return null;
    const reported = v[REPORTED_AT];
    const row = new UsageRow({ aggregateId, agent, model, role, wpId, success });
    if (isCount(reported)) row.reported.addSafe(reported);
    else if (typeof reported === "string" && /^\d+$/.test(reported)) {
      row.reported.add(BigInt(reported) as PicoUsd);
    } else return null;
    row.eventCount = v[6] as number;
    row.inputTokens = v[7] as number;
    row.outputTokens = v[8] as number;
    row.cacheReadTokens = v[9] as number;
    row.cacheWriteTokens = v[10] as number;
    row.noUsageCount = v[12] as number;
    row.estimateCount = v[13] as number;
    row.estimateInputTokens = v[14] as number;
    row.estimateOutputTokens = v[15] as number;
    row.estimateCacheReadTokens = v[16] as number;
    row.estimateCacheWriteTokens = v[17] as number;
    return row;
  }
}

const REPORTED_AT = 11;

function isText(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** A row as plain JSON: its key, then its sums (the reported pico-dollars: a number, or text past 2^53). */
export type UsageRowJson = readonly [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  boolean | null,
  number,
  number,
  number,
  number,
  number,
  number | string,
  number,
  number,
  number,
  number,
  number,
  number,
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
