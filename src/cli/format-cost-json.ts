import type { CostGroup, GroupByKey } from "../telemetry/cost.js";
import type { TelemetryWarning } from "../telemetry/warnings.js";
import { costTotals, usdExact } from "./cost-totals.js";
import { type PrettyValue, prettyJson } from "./output.js";

/** The version of `cost --format json`'s shape; schemas/cost-report.v<N>.json describes it. */
export const COST_REPORT_SCHEMA_VERSION = 1;

/** What the report was asked for, echoed in its `filters` (bounds inclusive, UTC). */
export interface CostReportFilters {
  readonly feature: string | undefined;
  readonly sinceMicros: number | undefined;
  readonly untilMicros: number | undefined;
  readonly origin?: readonly string[] | undefined;
}

/** Epoch microseconds as an ISO 8601 UTC timestamp to the microsecond. */
function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const extra = String(micros - ms * 1000).padStart(3, "0");
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}

/**
 * `cost --format json`: one object, `{schema_version, group_by, filters, pricing_effective,
 * rows, totals, warnings}`; each row's group is an object keyed by the group-by keys; money is
 * an exact decimal string (see usdExact), tokens exact integers (sums may pass 2^53).
 */
export function formatCostJson(report: CostJsonInput): string {
  return prettyJson(costJsonDocument(report), new Set());
}

/** What a `cost --format json` document is made of. */
export interface CostJsonInput {
  readonly groupBy: readonly GroupByKey[];
  readonly groups: readonly CostGroup[];
  readonly filters: CostReportFilters;
  readonly pricingEffective: string | undefined;
  readonly warnings: readonly TelemetryWarning[];
}

/** The document `formatCostJson` prints, as a value (the dashboard embeds the same documents). */
export function costJsonDocument(report: CostJsonInput): PrettyValue {
  const totals = costTotals(report.groups);
  return {
    schema_version: COST_REPORT_SCHEMA_VERSION,
    group_by: [...report.groupBy],
    filters: {
      feature: report.filters.feature ?? null,
      since:
        report.filters.sinceMicros === undefined ? null : isoMicros(report.filters.sinceMicros),
      until:
        report.filters.untilMicros === undefined ? null : isoMicros(report.filters.untilMicros),
      origin: report.filters.origin === undefined ? null : [...report.filters.origin],
    },
    pricing_effective: report.pricingEffective ?? null,
    rows: report.groups.map((g) => ({
      group: Object.fromEntries(report.groupBy.map((key, i) => [key, g.groupValues[i] ?? ""])),
      input_tokens: g.inputTokens,
      output_tokens: g.outputTokens,
      cache_read_tokens: g.cacheReadTokens,
      cache_write_tokens: g.cacheWriteTokens,
      cost_usd: usdExact(g.totalCost),
      estimated_cost_usd: usdExact(g.estimatedCost),
      event_count: g.eventCount,
      shared_event_count: g.sharedEventCount,
      unpriced_event_count: g.unpricedEventCount,
      unpriced_models: [...g.unpricedModels],
      no_usage_event_count: g.noUsageEventCount,
    })),
    totals: {
      input_tokens: totals.inputTokens,
      output_tokens: totals.outputTokens,
      cache_read_tokens: totals.cacheReadTokens,
      cache_write_tokens: totals.cacheWriteTokens,
      cost_usd: usdExact(totals.totalCost),
      estimated_cost_usd: usdExact(totals.estimatedCost),
      event_count: totals.eventCount,
      unpriced_event_count: totals.unpricedEventCount,
      unpriced_models: [...totals.unpricedModels],
      no_usage_event_count: totals.noUsageEventCount,
    },
    warnings: report.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
}
