import type { CostGroup } from "../telemetry/cost.js";
import type { PicoUsd } from "../telemetry/money.js";

/**
 * A cost report's totals over its groups: what every output format prints under the rows. The
 * fields are a group's; `eventCount` counts each event once (grouped by model, an event counts
 * in the row of each model it used), `unpricedModels` every unpriced id across the groups.
 */
export type CostTotals = Pick<
  CostGroup,
  | "inputTokens"
  | "outputTokens"
  | "cacheReadTokens"
  | "cacheWriteTokens"
  | "totalCost"
  | "estimatedCost"
  | "eventCount"
  | "unpricedEventCount"
  | "noUsageEventCount"
  | "unpricedModels"
>;

export function costTotals(groups: readonly CostGroup[]): CostTotals {
  const count = (pick: (g: CostGroup) => number) => groups.reduce((n, g) => n + pick(g), 0);
  const big = (pick: (g: CostGroup) => bigint) => groups.reduce((n, g) => n + pick(g), 0n);
  return {
    inputTokens: big((g) => g.inputTokens),
    outputTokens: big((g) => g.outputTokens),
    cacheReadTokens: big((g) => g.cacheReadTokens),
    cacheWriteTokens: big((g) => g.cacheWriteTokens),
    totalCost: big((g) => g.totalCost) as PicoUsd,
    estimatedCost: big((g) => g.estimatedCost) as PicoUsd,
    eventCount: count((g) => g.eventCount - g.sharedEventCount),
    unpricedEventCount: count((g) => g.unpricedEventCount),
    noUsageEventCount: count((g) => g.noUsageEventCount),
    unpricedModels: [...new Set(groups.flatMap((g) => g.unpricedModels))].sort(),
  };
}

const PICO_PER_USD = 1_000_000_000_000n;

/**
 * Dollars as an exact decimal string, every pico-dollar kept and trailing zeros dropped down to
 * two decimals: `39.6416`, `0.00`, `0.000000000001`. Rows' strings add up to the total exactly.
 */
export function usdExact(pico: PicoUsd): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const fraction = (abs % PICO_PER_USD).toString().padStart(12, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${abs / PICO_PER_USD}.${fraction.padEnd(2, "0")}`;
}
