import type { CostGroup, GroupByKey } from "../telemetry/cost.js";
import { usdExact } from "./cost-totals.js";

/** A field as RFC 4180 writes it: quoted, quotes doubled, when it holds `"`, `,`, CR or LF. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * `cost --format csv`: a header, then one record per group (no total row, so that a column sums
 * to the total), CRLF line ends as RFC 4180 has them. One column per group-by key; money exact
 * (usdExact); unpriced models joined by spaces.
 */
export function formatCostCsv(
  groupBy: readonly GroupByKey[],
  groups: readonly CostGroup[],
): string {
  const head = [
    ...groupBy,
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "estimated_cost_usd",
    "event_count",
    "shared_event_count",
    "unpriced_event_count",
    "no_usage_event_count",
    "unpriced_models",
  ];
  const records = groups.map((g) => [
    ...groupBy.map((_, i) => g.groupValues[i] ?? ""),
    g.inputTokens.toString(),
    g.outputTokens.toString(),
    g.cacheReadTokens.toString(),
    g.cacheWriteTokens.toString(),
    usdExact(g.totalCost),
    usdExact(g.estimatedCost),
    String(g.eventCount),
    String(g.sharedEventCount),
    String(g.unpricedEventCount),
    String(g.noUsageEventCount),
    g.unpricedModels.join(" "),
  ]);
  return [head, ...records].map((r) => `${r.map(field).join(",")}\r\n`).join("");
}
