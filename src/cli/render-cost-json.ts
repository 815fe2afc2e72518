import type { CostGroup } from "../telemetry/cost.js";
import { usdForJson } from "../telemetry/money.js";
import { prettyJson } from "./output.js";

// Apart from the table (render-cost.ts): a JSON report need not load the table's code.
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
