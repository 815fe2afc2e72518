import type { Event } from "../events/event.js";
import { CountSum } from "./count-sum.js";
import { TelemetryError } from "./errors.js";
import { LONG_CONTEXT_THRESHOLDS } from "./execution-payload.js";
import { PicoSum, type PicoUsd, picoFromUsd } from "./money.js";
import { ESTIMATE_SUMS, partBands } from "./row-table.js";
import { EventFields, type ModelFields } from "./scan/event-fields.js";
import { textOf } from "./scan/text-ids.js";
import { localPeriodKeyer, type PeriodUnit } from "./time-zone.js";
import {
  pricedModel,
  type UsageRow,
  type UsageRowKey,
  UsageRows,
  usageKind,
} from "./usage-rows.js";

/** The keys a cost report can group by. */
export const GROUP_BY_KEYS = [
  "agent",
  "model",
  "feature",
  "role",
  "wp",
  "source",
  "day",
  "week",
  "month",
] as const;
export type GroupByKey = (typeof GROUP_BY_KEYS)[number];
/** The keys that group by time, in the report's zone: `2026-02-16`, `2026-W08` (ISO weeks, from Monday), `2026-02`. */
export const TIME_KEYS: ReadonlySet<GroupByKey> = new Set(["day", "week", "month"]);

/** The period a grouping keeps rows apart by (its one time key), if any. */
export function periodUnitOf(groupBy: readonly GroupByKey[]): PeriodUnit | undefined {
  return groupBy.find((k): k is PeriodUnit => TIME_KEYS.has(k));
}

/** The group value of an event whose field is missing or null. */
export const UNKNOWN_GROUP = "unknown";
/** How an unpriced event without a model is listed among the unpriced models. */
export const NO_MODEL = "(no model)";

/** Token rates in integer pico-dollars per token. */
export interface TokenRates {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  /** 5-minute cache writes. */
  readonly cacheWrite: number;
  /** 1-hour cache writes. */
  readonly cacheWrite1h: number;
}

/** Rates for the requests of a model whose prompt exceeded `aboveTokens`. */
export interface TierRates {
  readonly aboveTokens: number;
  readonly rates: TokenRates;
}

/** What the cost engine needs of a pricing table: a model id to its rates, or unpriced. */
export interface RateResolver {
  resolve(model: string):
    | {
        /** The table's id for the model (its spellings and aliases resolve to it). */
        readonly id?: string;
        readonly rates: TokenRates;
        readonly tiers?: readonly TierRates[];
      }
    | undefined;
}

/** One group of a cost report. Costs are exact; tokens are sums of the events' counts. */
export interface CostGroup {
  /** The group's value(s), joined with `,` when grouping by two keys. */
  readonly groupKey: string;
  /** The group's value for each group-by key, in order (a value may itself hold a comma). */
  readonly groupValues: readonly string[];
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
  /**
   * Events counted in this group. Grouped by model, an event that used several models counts
   * in each of their groups; `sharedEventCount` says how many of them are counted in another
   * group too, so that a total over groups counts each event once (eventCount - shared).
   */
  readonly eventCount: number;
  readonly sharedEventCount: number;
  /**
   * Events (grouped by model: model shares) with no reported cost whose model the table does
   * not price (counted as 0). An event with two unpriced models counts twice.
   */
  readonly unpricedEventCount: number;
  /** Events that recorded neither a cost nor any token count: nothing to price (counted as 0). */
  readonly noUsageEventCount: number;
  /** The model ids of those events, sorted; `(no model)` when an event names none. */
  readonly unpricedModels: readonly string[];
  /**
   * Grouped by model: the model ids the group's events recorded, sorted (several when the
   * pricing table resolves several spellings to the group's id); empty otherwise.
   */
  readonly modelIds: readonly string[];
  /** Grouped by model: the group's model (the pricing table's id, else as recorded). */
  readonly model?: string | undefined;
}

/**
 * Parses `agent`, `model`, ... or two keys joined by a comma (`agent,model`). Throws a
 * TelemetryError naming the valid keys otherwise.
 */
export function parseGroupBy(text: string): readonly GroupByKey[] {
  const keys = text.split(",").map((k) => k.trim());
  const valid = (k: string): k is GroupByKey => (GROUP_BY_KEYS as readonly string[]).includes(k);
  const times = keys.filter((k) => (TIME_KEYS as ReadonlySet<string>).has(k)).length;
  if (keys.length > 2 || !keys.every(valid) || new Set(keys).size !== keys.length || times > 1) {
    throw new TelemetryError(
      "INVALID_GROUP_BY",
      `invalid --group-by ${JSON.stringify(text)}: use one of ${GROUP_BY_KEYS.join(", ")}, or two joined by a comma (agent,model; month,agent), at most one of them a time`,
    );
  }
  return keys.filter(valid);
}

function rowGroupValue(row: UsageRowKey, key: GroupByKey): string {
  const value = rowField(row, key);
  return value !== null && value !== "" ? value : UNKNOWN_GROUP;
}

function rowField(row: UsageRowKey, key: GroupByKey): string | null {
  switch (key) {
    case "feature":
      return row.aggregateId;
    case "wp":
      return row.wpId;
    case "day":
    case "week":
    case "month":
      return row.period; // of the one time key grouped by

    default:
      return row[key];
  }
}

/** A model's rates per band of prompt size, in the order of a row's estimate sums. */
type BandRates = readonly number[];

/**
 * The rates of each band (ESTIMATE_BANDS) and class (RATE_CLASSES): a band above a threshold
 * takes the model's tier with the highest threshold at or below it (only thresholds events
 * record count: LONG_CONTEXT_THRESHOLDS), else the base rates.
 */
function bandRates(resolved: {
  readonly rates: TokenRates;
  readonly tiers?: readonly TierRates[];
}): BandRates {
  const vector = (r: TokenRates) => [r.input, r.output, r.cacheRead, r.cacheWrite, r.cacheWrite1h];
  const tiers = (resolved.tiers ?? [])
    .filter((t) => (LONG_CONTEXT_THRESHOLDS as readonly number[]).includes(t.aboveTokens))
    .sort((a, b) => a.aboveTokens - b.aboveTokens);
  const result = vector(resolved.rates);
  for (const threshold of LONG_CONTEXT_THRESHOLDS) {
    const tier = tiers.filter((t) => t.aboveTokens <= threshold).at(-1);
    result.push(...vector(tier?.rates ?? resolved.rates));
  }
  return result;
}

// Exact: token counts and pico rates are integers; a product past 2^53 is taken as a bigint.
function addEstimate(sum: PicoSum, row: UsageRow, rates: BandRates): void {
  const sums = row.estimate; // the first band only, until some part recorded long context
  for (let i = 0; i < sums.length; i++) {
    const count = sums[i] as CountSum;
    const small = count.exactNumber();
    if (small === 0) continue;
    const rate = rates[i] as number;
    const pico = small === null ? Number.NaN : small * rate;
    if (Number.isSafeInteger(pico)) sum.addSafe(pico);
    else sum.add((count.total * BigInt(rate)) as PicoUsd);
  }
}

/** How one event's cost is known. */
export type CostKind = "reported" | "estimated" | "unpriced" | "no-usage";

const eventScratch = new EventFields();

/**
 * One event's cost, as the report counts it: the same classification (`usageKind`) and the
 * same estimate as the report's rows, each model at its own rates. An event with a model the
 * table does not price is unpriced (what its priced models cost is still counted).
 */
export function eventCost(event: Event, pricing: RateResolver): { cost: PicoUsd; kind: CostKind } {
  return fieldsCost(eventScratch.fromEvent(event), pricing);
}

/** `eventCost` of an event's fields as a scan fills them (no parsed event needed). */
export function fieldsCost(
  fields: EventFields,
  pricing: RateResolver,
): { cost: PicoUsd; kind: CostKind } {
  const out = fieldsCostInto(fields, pricing, { kind: "no-usage", pico: 0, big: 0n as PicoUsd });
  return { cost: Number.isNaN(out.pico) ? out.big : (BigInt(out.pico) as PicoUsd), kind: out.kind };
}

/** An event's cost: `pico` while it is a safe integer of pico-dollars, else NaN and `big`. */
export interface FieldsCost {
  kind: CostKind;
  pico: number;
  big: PicoUsd;
}

const PICO_PER_USD = 1e12;

/** `fieldsCost` into `out`, without a bigint per event while the cost is a safe integer. */
export function fieldsCostInto(
  fields: EventFields,
  pricing: RateResolver,
  out: FieldsCost,
): FieldsCost {
  const kind = usageKind(fields);
  out.pico = 0;
  if (kind === "reported") {
    out.kind = "reported";
    // As picoFromUsd rounds it.
    const pico = Math.round(fields.costUsd * PICO_PER_USD);
    if (Number.isSafeInteger(pico)) out.pico = pico;
    else [out.pico, out.big] = [Number.NaN, picoFromUsd(fields.costUsd)];
    return out;
  }
  out.kind = kind === "no-usage" ? "no-usage" : "estimated";
  if (kind === "no-usage") return out;
  if (fields.modelCount === 0) {
    // One model at its base rates (long context is recorded per model only): the row's sums
    // below, without a row per event. A product past 2^53 takes the exact path below.
    const rates = ratesOf(pricing, fields.modelText);
    if (rates === null) {
      out.kind = "unpriced";
      return out;
    }
    const pico = baseEstimate(fields, rates);
    if (pico !== null) {
      out.pico = pico;
      return out;
    }
  }
  if (fields.modelCount > 0 && modelsEstimate(fields, pricing, out)) return out;
  const rows = new UsageRows();
  rows.add(fields);
  const sum = new PicoSum();
  let unpriced = false;
  for (const row of rows) {
    const model = pricedModel(row.key.model);
    const resolved = model === null ? undefined : pricing.resolve(model);
    if (resolved === undefined) unpriced = true;
    else addEstimate(sum, row, bandRates(resolved));
  }
  if (unpriced) out.kind = "unpriced";
  [out.pico, out.big] = [Number.NaN, sum.total];
  return out;
}

// Per resolver, a model's band rates (null: unpriced), by the model's text number: an event's
// models are resolved once per scan, not once per event.
const bandRatesMemo = new WeakMap<RateResolver, Map<number, BandRates | null>>();

/** A model's band rates by its text number (null: unpriced), resolved once per resolver. */
function ratesOf(pricing: RateResolver, modelText: number): BandRates | null {
  let memo = bandRatesMemo.get(pricing);
  if (memo === undefined) {
    memo = new Map();
    bandRatesMemo.set(pricing, memo);
  }
  let rates = memo.get(modelText);
  if (rates === undefined) {
    const model = pricedModel(textOf(modelText));
    const resolved = model === null ? undefined : pricing.resolve(model);
    rates = resolved === undefined ? null : bandRates(resolved);
    memo.set(modelText, rates);
  }
  return rates;
}

/**
 * The estimate of an event with per-model usage, part by part at each part's rates, into `out`
 * (kind and pico): the sum its rows give (an estimate is linear in the counts), with no row
 * made. False when a product or the sum is not a safe integer (the rows' exact path then).
 */
function modelsEstimate(fields: EventFields, pricing: RateResolver, out: FieldsCost): boolean {
  let total = 0;
  let unpriced = false;
  for (let m = 0; m < fields.modelCount; m++) {
    const part = fields.models[m] as ModelFields;
    const rates = ratesOf(pricing, part.modelText);
    if (rates === null) {
      unpriced = true;
      continue;
    }
    let sum: number;
    if (part.longContextSeen !== 0) {
      const bands = partBands(part);
      sum = 0;
      for (let i = 0; i < ESTIMATE_SUMS; i++) {
        const count = bands[i] as number;
        if (count === 0) continue;
        const pico = count * (rates[i] as number);
        if (!Number.isSafeInteger(pico)) return false;
        sum += pico;
      }
    } else {
      const base = baseEstimate(part, rates);
      if (base === null) return false;
      sum = base;
    }
    total += sum;
    if (!Number.isSafeInteger(sum) || !Number.isSafeInteger(total)) return false;
  }
  if (unpriced) out.kind = "unpriced";
  out.pico = total;
  return true;
}

/** The token counts of an event or of one of its models' parts. */
type TokenCounts = Pick<
  EventFields,
  "inputTokens" | "outputTokens" | "cacheReadTokens" | "cacheWriteTokens" | "cacheWrite1hTokens"
>;

/**
 * An event's (or a model part's) estimate at one model's base rates as a safe integer of pico-dollars, split into
 * the classes UsageRow.addPart sums (the 1-hour writes apart, at most the writes); null when a
 * product or the sum is not a safe integer.
 */
function baseEstimate(fields: TokenCounts, rates: BandRates): number | null {
  const cacheWrite = fields.cacheWriteTokens ?? 0;
  const oneHour = Math.min(fields.cacheWrite1hTokens ?? 0, cacheWrite);
  // Five products, not an array of them (an array per event is garbage to collect).
  // The first band's rates: input, output, cache read, 5-minute and 1-hour cache writes.
  const input = (fields.inputTokens ?? 0) * (rates[0] as number);
  const output = (fields.outputTokens ?? 0) * (rates[1] as number);
  const cacheRead = (fields.cacheReadTokens ?? 0) * (rates[2] as number);
  const write = (cacheWrite - oneHour) * (rates[3] as number);
  const write1h = oneHour * (rates[4] as number);
  if (!(Number.isSafeInteger(input) && Number.isSafeInteger(output))) return null;
  if (!(Number.isSafeInteger(cacheRead) && Number.isSafeInteger(write))) return null;
  if (!Number.isSafeInteger(write1h)) return null;
  // Each partial sum checked, as the products were summed one at a time.
  let total = input + output;
  if (!Number.isSafeInteger(total)) return null;
  total += cacheRead;
  if (!Number.isSafeInteger(total)) return null;
  total += write;
  if (!Number.isSafeInteger(total)) return null;
  total += write1h;
  return Number.isSafeInteger(total) ? total : null;
}

class GroupTotals {
  readonly values: readonly string[];
  constructor(values: readonly string[]) {
    this.values = values;
  }
  readonly inputTokens = new CountSum();
  readonly outputTokens = new CountSum();
  readonly cacheReadTokens = new CountSum();
  readonly cacheWriteTokens = new CountSum();
  readonly reported = new PicoSum();
  readonly estimated = new PicoSum();
  eventCount = 0;
  sharedEventCount = 0;
  unpricedEventCount = 0;
  noUsageEventCount = 0;
  readonly unpricedModels = new Set<string>();
  readonly modelIds = new Set<string>();
  model: string | undefined;
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
  readonly #rates = new Map<string, BandRates | null>();
  readonly #scratch = new EventFields();
  readonly #byModel: boolean;
  readonly #periodOf: ((micros: number) => string) | null;
  readonly #wpByFeature: boolean;
  // A recorded model id to its group: the pricing table's id, else the id as recorded.
  readonly #modelGroups = new Map<string, string>();

  /** `timeZone` (an IANA name; default UTC) is where events' days, weeks and months are. */
  constructor(groupBy: readonly GroupByKey[], pricing: RateResolver, options: GroupOptions = {}) {
    if (groupBy.length === 0) throw new TelemetryError("INVALID_GROUP_BY", "no group-by key");
    this.#keys = groupBy;
    this.#pricing = pricing;
    this.#byModel = groupBy.includes("model");
    const unit = periodUnitOf(groupBy);
    this.#periodOf = unit === undefined ? null : localPeriodKeyer(options.timeZone ?? "UTC", unit);
    this.#wpByFeature = options.wpByFeature === true;
  }

  #groupValue(row: UsageRowKey, key: GroupByKey): string {
    if (key === "model" && row.model !== null && row.model !== "") {
      let group = this.#modelGroups.get(row.model);
      if (group === undefined) {
        group = this.#pricing.resolve(row.model)?.id ?? row.model;
        this.#modelGroups.set(row.model, group);
      }
      return group;
    }
    const value = rowGroupValue(row, key);
    return key === "wp" && this.#wpByFeature ? `${rowGroupValue(row, "feature")}/${value}` : value;
  }

  add(event: Event): void {
    const rows = new UsageRows();
    const fields = this.#scratch.fromEvent(event);
    rows.add(fields, this.#periodOf === null ? null : this.#periodOf(fields.micros));
    for (const row of rows) this.addRow(row);
  }

  /** Adds a row of summed events (see UsageRows): the same as adding each of its events. */
  addRow(row: UsageRow): void {
    const [first, second] = this.#keys as [GroupByKey, GroupByKey?];
    const value = this.#groupValue(row.key, first);
    // Two values keyed apart: joined by a comma, ("a,b", "c") and ("a", "b,c") would merge.
    const other = second === undefined ? undefined : this.#groupValue(row.key, second);
    const key = other === undefined ? value : JSON.stringify([value, other]);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new GroupTotals(other === undefined ? [value] : [value, other]);
      this.#groups.set(key, group);
    }
    group.inputTokens.addSum(row.inputTokens);
    group.outputTokens.addSum(row.outputTokens);
    group.cacheReadTokens.addSum(row.cacheReadTokens);
    group.cacheWriteTokens.addSum(row.cacheWriteTokens);
    // Grouped by model, each model's share counts the event; otherwise its main part only.
    if (this.#byModel) {
      group.model ??= this.#groupValue(row.key, "model");
      if (row.key.model !== null && row.key.model !== "") group.modelIds.add(row.key.model);
      group.eventCount += row.eventCount;
      group.sharedEventCount += row.sharedCount;
    } else group.eventCount += row.eventCount - row.sharedCount;
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
    addEstimate(group.estimated, row, rates);
  }

  #ratesOf(model: string): BandRates | null {
    let rates = this.#rates.get(model);
    if (rates === undefined) {
      const resolved = this.#pricing.resolve(model);
      rates = resolved === undefined ? null : bandRates(resolved);
      this.#rates.set(model, rates);
    }
    return rates;
  }

  /** The groups, by total cost descending, then by key. */
  groups(): CostGroup[] {
    const groupBy = this.#keys.join(",");
    const result: CostGroup[] = [];
    for (const g of this.#groups.values()) {
      const estimatedCost = g.estimated.total;
      result.push({
        groupKey: g.values.join(","),
        groupValues: g.values,
        groupBy,
        inputTokens: g.inputTokens.total,
        outputTokens: g.outputTokens.total,
        cacheReadTokens: g.cacheReadTokens.total,
        cacheWriteTokens: g.cacheWriteTokens.total,
        totalCost: (g.reported.total + estimatedCost) as PicoUsd,
        estimatedCost,
        eventCount: g.eventCount,
        sharedEventCount: g.sharedEventCount,
        unpricedEventCount: g.unpricedEventCount,
        noUsageEventCount: g.noUsageEventCount,
        unpricedModels: [...g.unpricedModels].sort(),
        modelIds: [...g.modelIds].sort(),
        ...(g.model === undefined ? {} : { model: g.model }),
      });
    }
    const byCost = (a: CostGroup, b: CostGroup) =>
      (a.totalCost < b.totalCost ? 1 : a.totalCost > b.totalCost ? -1 : 0) ||
      (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0);
    if (!TIME_KEYS.has(this.#keys[0] as GroupByKey)) return result.sort(byCost);
    // Grouped by time first: in time order (the labels sort as text), each period by cost.
    const period = (g: CostGroup) => g.groupKey.split(",")[0] as string;
    return result.sort(
      (a, b) => (period(a) < period(b) ? -1 : period(a) > period(b) ? 1 : 0) || byCost(a, b),
    );
  }
}

export interface GroupOptions {
  /** The IANA zone of day, week and month groups; default UTC. */
  readonly timeZone?: string | undefined;
  /** Group `wp` by feature and WP (`043-x/WP01`), so that two features' WP01 stay apart. */
  readonly wpByFeature?: boolean | undefined;
}

/** Cost groups of `events` (see CostAccumulator for how each event is costed). */
export function costSummary(
  events: Iterable<Event>,
  groupBy: readonly GroupByKey[] | string,
  pricing: RateResolver,
  options: GroupOptions = {},
): CostGroup[] {
  const acc = new CostAccumulator(
    typeof groupBy === "string" ? parseGroupBy(groupBy) : groupBy,
    pricing,
    options,
  );
  for (const event of events) acc.add(event);
  return acc.groups();
}

/** The same as `costSummary` over a stream, holding only the groups. */
export async function costSummaryOf(
  events: AsyncIterable<Event>,
  groupBy: readonly GroupByKey[] | string,
  pricing: RateResolver,
  options: GroupOptions = {},
): Promise<CostGroup[]> {
  const acc = new CostAccumulator(
    typeof groupBy === "string" ? parseGroupBy(groupBy) : groupBy,
    pricing,
    options,
  );
  for await (const event of events) acc.add(event);
  return acc.groups();
}
