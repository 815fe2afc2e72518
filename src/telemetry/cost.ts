import type { Event } from "../events/event.js";
import { CountSum } from "./count-sum.js";
import { TelemetryError } from "./errors.js";
import { PicoSum, type PicoUsd, picoFromUsd } from "./money.js";
import { EventFields } from "./scan/event-fields.js";
import { pricedModel, UsageRow, type UsageRowKey, usageKind } from "./usage-rows.js";

/** The keys a cost report can group by. */
export const GROUP_BY_KEYS = ["agent", "model", "feature", "role", "wp"] as const;
export type GroupByKey = (typeof GROUP_BY_KEYS)[number];

/** The group value of an event whose field is missing or null. */
export const UNKNOWN_GROUP = "unknown";
/** How an unpriced event without a model is listed among the unpriced models. */
export const NO_MODEL = "(no model)";

/** Token rates in integer pico-dollars per token. */
export interface TokenRates {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** What the cost engine needs of a pricing table: a model id to its rates, or unpriced. */
export interface RateResolver {
  resolve(model: string): { readonly rates: TokenRates } | undefined;
}

/** One group of a cost report. Costs are exact; tokens are sums of the events' counts. */
export interface CostGroup {
  /** The group's value(s), joined with `,` when grouping by two keys. */
  readonly groupKey: string;
  /** The group-by keys, joined with `,`. */
  readonly groupBy: string;
  /** Token sums, exact at any size (a sum can pass 2^53, where a double rounds). */
  readonly inputTokens: bigint;
  readonly outputTokens: bigint;
  readonly cacheReadTokens: bigint;
  readonly cacheWriteTokens: bigint;
  /** Reported costs plus estimated ones. */
  readonly totalCost: PicoUsd;
  /** The part of `totalCost` estimated from tokens and rates. */
  readonly estimatedCost: PicoUsd;
  readonly eventCount: number;
  /** Events with no reported cost whose model the table does not price (counted as 0). */
  readonly unpricedEventCount: number;
  /** Events that recorded neither a cost nor any token count: nothing to price (counted as 0). */
  readonly noUsageEventCount: number;
  /** The model ids of those events, sorted; `(no model)` when an event names none. */
  readonly unpricedModels: readonly string[];
}

/**
 * Parses `agent`, `model`, ... or two keys joined by a comma (`agent,model`). Throws a
 * TelemetryError naming the valid keys otherwise.
 */
export function parseGroupBy(text: string): readonly GroupByKey[] {
  const keys = text.split(",").map((k) => k.trim());
  const valid = (k: string): k is GroupByKey => (GROUP_BY_KEYS as readonly string[]).includes(k);
  if (keys.length > 2 || !keys.every(valid) || new Set(keys).size !== keys.length) {
    throw new TelemetryError(
      "INVALID_GROUP_BY",
      `invalid --group-by ${JSON.stringify(text)}: use one of ${GROUP_BY_KEYS.join(", ")}, or two joined by a comma (agent,model)`,
    );
  }
  return keys.filter(valid);
}

function rowGroupValue(row: UsageRowKey, key: GroupByKey): string {
  const value = key === "feature" ? row.aggregateId : key === "wp" ? row.wpId : row[key];
  return value !== null && value !== "" ? value : UNKNOWN_GROUP;
}

// Exact: token counts and pico rates are integers; a product past 2^53 is taken as a bigint.
function addEstimate(
  sum: PicoSum,
  input: CountSum,
  output: CountSum,
  cacheRead: CountSum,
  cacheWrite: CountSum,
  rates: TokenRates,
): void {
  const add = (count: CountSum, rate: number) => {
    const small = count.exactNumber();
    const pico = small === null ? Number.NaN : small * rate;
    if (Number.isSafeInteger(pico)) sum.addSafe(pico);
    else sum.add((count.total * BigInt(rate)) as PicoUsd);
  };
  add(input, rates.input);
  add(output, rates.output);
  add(cacheRead, rates.cacheRead);
  add(cacheWrite, rates.cacheWrite);
}

/** How one event's cost is known. */
export type CostKind = "reported" | "estimated" | "unpriced" | "no-usage";

const eventScratch = new EventFields();

/**
 * One event's cost, as the report counts it (an unpriced event counts 0): the same
 * classification (`usageKind`) and the same estimate as the report's rows.
 */
export function eventCost(event: Event, pricing: RateResolver): { cost: PicoUsd; kind: CostKind } {
  const fields = eventScratch.fromEvent(event);
  switch (usageKind(fields)) {
    case "reported":
      return { cost: picoFromUsd(fields.costUsd), kind: "reported" };
    case "no-usage":
      return { cost: 0n as PicoUsd, kind: "no-usage" };
    case "tokens": {
      const model = pricedModel(fields.model);
      const rates = model === null ? undefined : pricing.resolve(model)?.rates;
      if (rates === undefined) return { cost: 0n as PicoUsd, kind: "unpriced" };
      const row = new UsageRow(fields);
      row.add(fields);
      const sum = new PicoSum();
      addEstimate(
        sum,
        row.estimateInputTokens,
        row.estimateOutputTokens,
        row.estimateCacheReadTokens,
        row.estimateCacheWriteTokens,
        rates,
      );
      return { cost: sum.total, kind: "estimated" };
    }
  }
}

class GroupTotals {
  readonly inputTokens = new CountSum();
  readonly outputTokens = new CountSum();
  readonly cacheReadTokens = new CountSum();
  readonly cacheWriteTokens = new CountSum();
  readonly reported = new PicoSum();
  readonly estimated = new PicoSum();
  eventCount = 0;
  unpricedEventCount = 0;
  noUsageEventCount = 0;
  readonly unpricedModels = new Set<string>();
}

/**
 * Aggregates events into cost groups, one event at a time, so that a report over a million
 * events holds only the groups. An event's cost is its `cost_usd` when that is not null (0.0
 * included); otherwise it is estimated from its tokens at the model's rates, and a model the
 * table does not price estimates 0 and is counted as unpriced.
 */
export class CostAccumulator {
  readonly #keys: readonly GroupByKey[];
  readonly #pricing: RateResolver;
  readonly #groups = new Map<string, GroupTotals>();
  // Resolving a model id is not free and a log holds few distinct ones.
  readonly #rates = new Map<string, TokenRates | null>();
  readonly #scratch = new EventFields();

  constructor(groupBy: readonly GroupByKey[], pricing: RateResolver) {
    if (groupBy.length === 0) throw new TelemetryError("INVALID_GROUP_BY", "no group-by key");
    this.#keys = groupBy;
    this.#pricing = pricing;
  }

  add(event: Event): void {
    const row = new UsageRow(this.#scratch.fromEvent(event));
    row.add(this.#scratch);
    this.addRow(row);
  }

  /** Adds a row of summed events (see UsageRows): the same as adding each of its events. */
  addRow(row: UsageRow): void {
    const [first, second] = this.#keys as [GroupByKey, GroupByKey?];
    const key =
      second === undefined
        ? rowGroupValue(row.key, first)
        : `${rowGroupValue(row.key, first)},${rowGroupValue(row.key, second)}`;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new GroupTotals();
      this.#groups.set(key, group);
    }
    group.inputTokens.addSum(row.inputTokens);
    group.outputTokens.addSum(row.outputTokens);
    group.cacheReadTokens.addSum(row.cacheReadTokens);
    group.cacheWriteTokens.addSum(row.cacheWriteTokens);
    group.eventCount += row.eventCount;
    group.reported.addSum(row.reported);
    group.noUsageEventCount += row.noUsageCount;
    if (row.estimateCount === 0) return;
    const model = pricedModel(row.key.model);
    const rates = model === null ? null : this.#ratesOf(model);
    if (rates === null) {
      group.unpricedEventCount += row.estimateCount;
      group.unpricedModels.add(model ?? NO_MODEL);
      return;
    }
    // Exact: rate x (sum of counts) is the sum of rate x count, in integers.
    addEstimate(
      group.estimated,
      row.estimateInputTokens,
      row.estimateOutputTokens,
      row.estimateCacheReadTokens,
      row.estimateCacheWriteTokens,
      rates,
    );
  }

  #ratesOf(model: string): TokenRates | null {
    let rates = this.#rates.get(model);
    if (rates === undefined) {
      rates = this.#pricing.resolve(model)?.rates ?? null;
      this.#rates.set(model, rates);
    }
    return rates;
  }

  /** The groups, by total cost descending, then by key. */
  groups(): CostGroup[] {
    const groupBy = this.#keys.join(",");
    const result: CostGroup[] = [];
    for (const [groupKey, g] of this.#groups) {
      const estimatedCost = g.estimated.total;
      result.push({
        groupKey,
        groupBy,
        inputTokens: g.inputTokens.total,
        outputTokens: g.outputTokens.total,
        cacheReadTokens: g.cacheReadTokens.total,
        cacheWriteTokens: g.cacheWriteTokens.total,
        totalCost: (g.reported.total + estimatedCost) as PicoUsd,
        estimatedCost,
        eventCount: g.eventCount,
        unpricedEventCount: g.unpricedEventCount,
        noUsageEventCount: g.noUsageEventCount,
        unpricedModels: [...g.unpricedModels].sort(),
      });
    }
    return result.sort(
      (a, b) =>
        (a.totalCost < b.totalCost ? 1 : a.totalCost > b.totalCost ? -1 : 0) ||
        (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0),
    );
  }
}

/** Cost groups of `events` (see CostAccumulator for how each event is costed). */
export function costSummary(
  events: Iterable<Event>,
  groupBy: readonly GroupByKey[] | string,
  pricing: RateResolver,
): CostGroup[] {
  const acc = new CostAccumulator(
    typeof groupBy === "string" ? parseGroupBy(groupBy) : groupBy,
    pricing,
  );
  for (const event of events) acc.add(event);
  return acc.groups();
}

/** The same as `costSummary` over a stream, holding only the groups. */
export async function costSummaryOf(
  events: AsyncIterable<Event>,
  groupBy: readonly GroupByKey[] | string,
  pricing: RateResolver,
): Promise<CostGroup[]> {
  const acc = new CostAccumulator(
    typeof groupBy === "string" ? parseGroupBy(groupBy) : groupBy,
    pricing,
  );
  for await (const event of events) acc.add(event);
  return acc.groups();
}
