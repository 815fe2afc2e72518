import type { Spending } from "./budgets.js";
import type { CostGroup, RateResolver } from "./cost.js";
import type { PicoUsd } from "./money.js";
import { costReport } from "./report.js";
import { localPeriodKeyer } from "./time-zone.js";
import type { WarningSink } from "./warnings.js";

/**
 * What the project spent, in all, in the month of `nowMicros` (in `timeZone`) and per feature:
 * the cost report's own groups (every event of every feature, whatever a report filters).
 */
export async function projectSpending(
  repoRoot: string,
  pricing: RateResolver,
  options: { readonly timeZone: string; readonly nowMicros: number; readonly warn: WarningSink },
): Promise<Spending> {
  const scope = { repoRoot, warn: options.warn, timeZone: options.timeZone };
  const byFeature = await costReport(scope, ["feature"], pricing);
  const byMonth = await costReport(scope, ["month"], pricing);
  return spendingOf(byFeature.groups, byMonth.groups, currentMonth(options));
}

/** The label of the month of `nowMicros` in `timeZone` (`2026-02`). */
export function currentMonth(options: {
  readonly timeZone: string;
  readonly nowMicros: number;
}): string {
  return localPeriodKeyer(options.timeZone, "month")(options.nowMicros);
}

/** Spending from a report's groups by feature and by month, over every event of the project. */
export function spendingOf(
  byFeature: readonly CostGroup[],
  byMonth: readonly CostGroup[],
  month: string,
): Spending {
  const sum = (costs: readonly PicoUsd[]) => costs.reduce((a, b) => a + b, 0n) as PicoUsd;
  return {
    total: sum(byFeature.map((g) => g.totalCost)),
    month,
    thisMonth: sum(byMonth.filter((g) => g.groupKey === month).map((g) => g.totalCost)),
    byFeature: new Map(byFeature.map((g) => [g.groupKey, g.totalCost])),
  };
}
