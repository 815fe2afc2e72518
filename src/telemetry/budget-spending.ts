import type { Spending } from "./budgets.js";
import type { RateResolver } from "./cost.js";
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
  const month = localPeriodKeyer(options.timeZone, "month")(options.nowMicros);
  const byMonth = await costReport(scope, ["month"], pricing);
  const sum = (costs: readonly PicoUsd[]) => costs.reduce((a, b) => a + b, 0n) as PicoUsd;
  return {
    total: sum(byFeature.groups.map((g) => g.totalCost)),
    month,
    thisMonth: sum(byMonth.groups.filter((g) => g.groupKey === month).map((g) => g.totalCost)),
    byFeature: new Map(byFeature.groups.map((g) => [g.groupKey, g.totalCost])),
  };
}
