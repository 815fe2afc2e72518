import type { CostGroup } from "../telemetry/cost.js";
import { formatUsd, type PicoUsd, usdForJson } from "../telemetry/money.js";
import type { Colors } from "./output.js";
import { formatCount, prettyJson } from "./output.js";
import { renderTable } from "./table.js";
import { printable } from "./terminal-text.js";

const COST_FLOAT_KEYS: ReadonlySet<string> = new Set(["total_cost_usd", "estimated_cost_usd"]);

/**
 * The Python CLI's `cost --json` array (same keys, values and order), each object followed by
 * the keys we add: cache token sums, the unpriced count and the unpriced model ids, the
 * no-usage count and the shared event count.
 */
export function renderCostJson(groups: readonly CostGroup[]): string {
  return prettyJson(
    groups.map((g) => ({
      group_key: g.groupKey,
      group_by: g.groupBy,
      total_input_tokens: g.inputTokens,
      total_output_tokens: g.outputTokens,
      total_cost_usd: usdForJson(g.totalCost),
      estimated_cost_usd: usdForJson(g.estimatedCost),
      event_count: g.eventCount,
      total_cache_read_tokens: g.cacheReadTokens,
      total_cache_write_tokens: g.cacheWriteTokens,
      unpriced_event_count: g.unpricedEventCount,
      unpriced_models: [...g.unpricedModels],
      no_usage_event_count: g.noUsageEventCount,
      // Grouped by model: events also counted in another model's group (sum minus these = events).
      shared_event_count: g.sharedEventCount,
      // Grouped by model: the ids the events recorded, merged into the table's id.
      ...(g.model === undefined ? {} : { model_ids: [...g.modelIds] }),
    })),
    COST_FLOAT_KEYS,
  );
}

const money = (pico: PicoUsd) => `$${formatUsd(pico, 4)}`;
const events = (n: number) => `${formatCount(n)} ${n === 1 ? "event" : "events"}`;

/** The cost table for people: one row per group, a TOTAL row, and notes on what is estimated or unpriced. */
export function renderCostTable(
  groups: readonly CostGroup[],
  colors: Colors,
  pricingEffective: string | undefined,
): string {
  const sum = (pick: (g: CostGroup) => number) => groups.reduce((n, g) => n + pick(g), 0);
  const sumTokens = (pick: (g: CostGroup) => bigint) => groups.reduce((n, g) => n + pick(g), 0n);
  const sumMoney = (pick: (g: CostGroup) => bigint) =>
    groups.reduce((n, g) => n + pick(g), 0n) as PicoUsd;
  const totalEstimated = sumMoney((g) => g.estimatedCost);
  const table = renderTable({
    head: [
      "Group",
      "Input Tokens",
      "Output Tokens",
      "Cache Read",
      "Cache Write",
      "Cost (USD)",
      "Events",
      "Estimated",
    ],
    align: ["left", "right", "right", "right", "right", "right", "right", "center"],
    rows: groups.map((g) => [
      colors.cyan(printable(g.groupKey)),
      formatCount(g.inputTokens),
      formatCount(g.outputTokens),
      formatCount(g.cacheReadTokens),
      formatCount(g.cacheWriteTokens),
      money(g.totalCost),
      formatCount(g.eventCount),
      g.estimatedCost > 0n ? "~" : "",
    ]),
    footer: [
      colors.bold("TOTAL"),
      colors.bold(formatCount(sumTokens((g) => g.inputTokens))),
      colors.bold(formatCount(sumTokens((g) => g.outputTokens))),
      colors.bold(formatCount(sumTokens((g) => g.cacheReadTokens))),
      colors.bold(formatCount(sumTokens((g) => g.cacheWriteTokens))),
      colors.bold(money(sumMoney((g) => g.totalCost))),
      // Each event once, though grouped by model it counts in each of its models' rows.
      colors.bold(formatCount(sum((g) => g.eventCount - g.sharedEventCount))),
      totalEstimated > 0n ? "~" : "",
    ],
  });
  const title = `Cost Report (grouped by ${groups[0]?.groupBy ?? "agent"})\n`;
  const notes: string[] = [];
  if (totalEstimated > 0n) {
    const rates = pricingEffective ? ` (rates effective ${pricingEffective})` : "";
    notes.push(
      colors.dim(`~ includes ${money(totalEstimated)} estimated from token counts${rates}.`),
    );
  }
  const unpriced = unpricedSummary(groups);
  if (unpriced.length > 0) {
    const count = sum((g) => g.unpricedEventCount);
    notes.push(
      colors.yellow(
        `Unpriced: ${events(count)} with no reported cost and no known rate, counted as $0: ${printable(unpriced.join(", "))}`,
      ),
    );
  }
  const merged = mergedModels(groups);
  if (merged.length > 0)
    notes.push(colors.dim(printable(`Model ids merged: ${merged.join("; ")}.`)));
  const noUsage = sum((g) => g.noUsageEventCount);
  if (noUsage > 0) {
    notes.push(
      colors.yellow(
        `No usage: ${events(noUsage)} recorded neither tokens nor a cost, counted as $0.`,
      ),
    );
  }
  return title + table + notes.map((n) => `${n}\n`).join("");
}

/** Every unpriced model id across the groups, sorted. */
function unpricedSummary(groups: readonly CostGroup[]): string[] {
  return [...new Set(groups.flatMap((g) => g.unpricedModels))].sort();
}

/** Each model group that merged other spellings than its id: `id (as a, b)`, sorted. */
function mergedModels(groups: readonly CostGroup[]): string[] {
  const spellings = new Map<string, Set<string>>();
  for (const g of groups) {
    if (g.model === undefined) continue;
    const set = spellings.get(g.model) ?? new Set();
    for (const id of g.modelIds) if (id !== g.model) set.add(id);
    spellings.set(g.model, set);
  }
  return [...spellings]
    .filter(([, ids]) => ids.size > 0)
    .map(([model, ids]) => `${model} (as ${[...ids].sort().join(", ")})`)
    .sort();
}
