import { PicoSum, type PicoUsd } from "../money.js";
import type { EventFields } from "./event-fields.js";

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
export class UsageRow implements UsageRowKey {
  readonly aggregateId: string;
  readonly agent: string | null;
  readonly model: string | null;
  readonly role: string | null;
  readonly wpId: string | null;
  readonly success: boolean | null;
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
    this.aggregateId = key.aggregateId;
    this.agent = key.agent;
    this.model = key.model;
    this.role = key.role;
    this.wpId = key.wpId;
    this.success = key.success;
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
    if (e.costUsd !== null) {
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
      this.aggregateId,
      this.agent,
      this.model,
      this.role,
      this.wpId,
      this.success,
      this.eventCount,
      this.inputTokens,
      this.outputTokens,
      this.cacheReadTokens,
      this.cacheWriteTokens,
      this.reported.total.toString(),
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
    const [aggregateId, agent, model, role, wpId, success, ...rest] = value as unknown[];
    const text = (v: unknown): v is string | null => v === null || typeof v === "string";
    if (typeof aggregateId !== "string" || !text(agent) || !text(model) || !text(role)) return null;
    if (!text(wpId) || !(success === null || typeof success === "boolean")) return null;
    const sums = rest.slice(0, 5).concat(rest.slice(6));
    const reported = rest[5];
    if (!sums.every((c) => Number.isSafeInteger(c) && (c as number) >= 0)) return null;
    if (typeof reported !== "string" || !/^\d+$/.test(reported)) return null;
    const row = new UsageRow({ aggregateId, agent, model, role, wpId, success });
    [
      row.eventCount,
      row.inputTokens,
      row.outputTokens,
      row.cacheReadTokens,
      row.cacheWriteTokens,
      row.noUsageCount,
      row.estimateCount,
      row.estimateInputTokens,
      row.estimateOutputTokens,
      row.estimateCacheReadTokens,
      row.estimateCacheWriteTokens,
    ] = sums as Sums11;
    row.reported.add(BigInt(reported) as PicoUsd);
    return row;
  }
}

type Sums11 = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** A row as plain JSON: its key, then its sums (the reported cost as a decimal string). */
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
  string,
  number,
  number,
  number,
  number,
  number,
  number,
];

// Unambiguous: every part is its length and its text, or `-` for null.
function part(value: string | null): string {
  return value === null ? "-" : `${value.length}:${value}`;
}

function rowKey(k: UsageRowKey): string {
  return `${k.success === null ? "n" : k.success ? "t" : "f"}${part(k.agent)}${part(k.model)}${part(k.role)}${part(k.wpId)}${part(k.aggregateId)}`;
}

type Level<T> = Map<string | null, T>;

function getOrAdd<T>(level: Level<Level<T>>, key: string | null): Level<T> {
  let next = level.get(key);
  if (next === undefined) {
    next = new Map();
    level.set(key, next);
  }
  return next;
}

/** The rows of one log (or part of one), keyed by their fields. */
export class UsageRows {
  readonly #rows = new Map<string, UsageRow>();
  // The per-event path: nested maps by field, no key string built per event (a scan's strings
  // are interned, so each lookup hashes a string whose hash is already known).
  readonly #index: Level<Level<Level<Level<Level<(UsageRow | undefined)[]>>>>> = new Map();

  add(e: EventFields): void {
    const byAgent = getOrAdd(this.#index, e.aggregateId);
    const byModel = getOrAdd(byAgent, e.agent);
    const byRole = getOrAdd(byModel, e.model);
    const byWp = getOrAdd(byRole, e.role);
    let outcomes = byWp.get(e.wpId);
    if (outcomes === undefined) {
      outcomes = [undefined, undefined, undefined];
      byWp.set(e.wpId, outcomes);
    }
    const slot = e.success === null ? 0 : e.success ? 1 : 2;
    let row = outcomes[slot];
    if (row === undefined) {
      row = this.#rowFor(e);
      outcomes[slot] = row;
    }
    row.add(e);
  }

  #rowFor(key: UsageRowKey): UsageRow {
    const text = rowKey(key);
    let row = this.#rows.get(text);
    if (row === undefined) {
      row = new UsageRow(key);
      this.#rows.set(text, row);
    }
    return row;
  }

  /** Adds another part's rows into these. */
  merge(other: Iterable<UsageRow>): void {
    for (const row of other) this.#rowFor(row).merge(row);
  }

  get size(): number {
    return this.#rows.size;
  }

  [Symbol.iterator](): IterableIterator<UsageRow> {
    return this.#rows.values();
  }

  toJSON(): UsageRowJson[] {
    return [...this.#rows.values()].map((row) => row.toJSON());
  }

  /** Adds into these the rows of `toJSON()`'s output; false when any is malformed. */
  addJSON(value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    for (const item of value) {
      const row = UsageRow.fromJSON(item);
      if (row === null) return false;
      const key = rowKey(row);
      const mine = this.#rows.get(key);
      if (mine === undefined) this.#rows.set(key, row);
      else mine.merge(row);
    }
    return true;
  }
}
