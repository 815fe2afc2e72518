import { basename } from "node:path";
import { featureOutcomes, type WpOutcomeRow } from "../orchestrator/outcomes.js";
import { currentMonth, projectSpending, spendingOf } from "../telemetry/budget-spending.js";
import { type BudgetStatus, budgetStatuses, loadBudgets } from "../telemetry/budgets.js";
import type { CostGroup, GroupByKey } from "../telemetry/cost.js";
import type { ParsedFilter } from "../telemetry/event-filter.js";
import type { PicoUsd } from "../telemetry/money.js";
import type { PeriodChoice } from "../telemetry/period-rows.js";
import type { PricingTable } from "../telemetry/pricing.js";
import { keptFields, type RollUpOptions, RowRollUp, rollUpRows } from "../telemetry/report.js";
import { spendScan } from "../telemetry/spend-scan.js";
import type { UsageRow } from "../telemetry/usage-rows.js";
import type { TelemetryWarning } from "../telemetry/warnings.js";
import { usdExact } from "./cost-totals.js";
import { costJsonDocument } from "./format-cost-json.js";
import type { PrettyValue } from "./output.js";

/** The version of the data a dashboard embeds (`<script id="dashboard-data">`). */
export const DASHBOARD_DATA_VERSION = 1;

/**
 * The most bars the cost-over-time chart gets by default: days while there are no more, then
 * weeks, then months. The page then holds at most this many periods per stack (or one per
 * month of a longer history), not one per day of it.
 */
export const MAX_PERIODS = 120;

/** What a dashboard shows, and how. */
export interface DashboardRequest {
  readonly repoRoot: string;
  readonly feature: string | undefined;
  readonly filter: ParsedFilter;
  /** May be a getter (the machine's zone): read once the logs are being looked up. */
  readonly timeZone: string;
  /** `auto`: the finest of day, week and month with at most MAX_PERIODS periods. */
  readonly period: PeriodChoice;
  readonly stack: "agent" | "model";
  readonly top: number;
  readonly nowMs: number;
  readonly pricing: PricingTable;
  readonly warn: (w: TelemetryWarning) => void;
  /** Threads to read with (default: the available parallelism), for tests. */
  readonly threads?: number | undefined;
  readonly minRangeBytes?: number | undefined;
}

/** The groupings of the page's tables, rolled up from the rows without period. */
const GROUPINGS = ["agent", "model", "feature", "wp"] as const;

/** A grouping's groups. */
interface Grouped {
  readonly groupBy: readonly GroupByKey[];
  readonly groups: CostGroup[];
}

/** Whether a request reads every event of every feature (then budgets need no read of their own). */
function unfiltered(request: DashboardRequest): boolean {
  return (
    request.feature === undefined && Object.values(request.filter).every((v) => v === undefined)
  );
}

/**
 * The aggregates of a dashboard from one parallel read of the logs (spendScan): each chart's
 * and table's figures are `cost --format json` documents rolled up from the read's usage rows by
 * the report's own roll-up (one per grouping), plus the work-package outcomes, the cache
 * savings, the costliest invocations and the budgets. No raw event is kept but the top N, and
 * cost over time has at most MAX_PERIODS periods by default, so the size does not grow with the log.
 */
export async function dashboardData(request: DashboardRequest): Promise<PrettyValue> {
  const { repoRoot, feature, filter, pricing, warn } = request;
  const warnings: TelemetryWarning[] = [];
  // Budgets of a filtered page read the logs again: each warning is passed on once.
  const seen = new Set<string>();
  const collect = (w: TelemetryWarning) => {
    const key = `${w.code}\u0000${w.file ?? ""}\u0000${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    warnings.push(w);
    warn(w);
  };
  // Each feature's outcomes as soon as its log is read, in folder order.
  const outcomeParts: WpOutcomeRow[][] = [];
  let options: RollUpOptions = { wpByFeature: true };
  // The four groupings rolled up as each log is read (the report's roll-up, fed in several goes).
  const rollUps = new Map<GroupByKey, RowRollUp>();
  const scan = await spendScan({
    repoRoot,
    feature,
    filter,
    get timeZone() {
      return request.timeZone;
    },
    rowKeep: keptFields(GROUPINGS, filter),
    periodKeep: keptFields(["day", request.stack], filter),
    period: request.period,
    maxPeriods: MAX_PERIODS,
    top: request.top,
    pricing,
    warn: collect,
    threads: request.threads,
    minRangeBytes: request.minRangeBytes,
    onFeature: async (index, feature) => {
      outcomeParts[index] = await featureOutcomes(repoRoot, feature);
    },
    onFeatures: (count) => {
      // A WP id is a feature's own: unless one feature is chosen, `wp` groups are per feature.
      options = {
        timeZone: request.timeZone,
        wpByFeature: !(feature !== undefined && count === 1),
      };
      for (const key of GROUPINGS) rollUps.set(key, new RowRollUp([key], filter, pricing, options));
    },
    onRows: (rows) => {
      for (const rollUp of rollUps.values()) rollUp.add(rows);
    },
  });
  const report = (rows: Iterable<UsageRow>, groupBy: readonly GroupByKey[]) => {
    return { groupBy, groups: rollUpRows(rows, groupBy, filter, pricing, options).groups };
  };
  const grouped = (key: (typeof GROUPINGS)[number]): Grouped => ({
    groupBy: [key],
    groups: rollUps.get(key)?.result().groups ?? [],
  });
  const byAgent = grouped("agent");
  const byModel = grouped("model");
  const byFeature = grouped("feature");
  const byWp = grouped("wp");
  const period = scan.periods.unit;
  const overTime = report(scan.periods.rows, [period, request.stack]);
  const outcomes = outcomeParts.flat();
  const budgets = await loadBudgets(repoRoot);
  const spendingScope = {
    timeZone: request.timeZone,
    nowMicros: request.nowMs * 1000,
    warn: collect,
  };
  // Budgets count every event: read apart only when the page is filtered.
  const spending = async () =>
    unfiltered(request)
      ? spendingOf(
          byFeature.groups,
          report(scan.periods.months, ["month"]).groups,
          currentMonth(spendingScope),
        )
      : projectSpending(repoRoot, pricing, spendingScope);
  const statuses: BudgetStatus[] =
    budgets === undefined ? [] : budgetStatuses(budgets, await spending());
  const doc = (r: { groupBy: readonly GroupByKey[]; groups: CostGroup[] }) =>
    costJsonDocument({
      ...r,
      filters: { feature, sinceMicros: filter.sinceMicros, untilMicros: filter.untilMicros },
      pricingEffective: pricing.effective,
      warnings,
    });
  return {
    version: DASHBOARD_DATA_VERSION,
    project: basename(repoRoot),
    generated_at: new Date(request.nowMs).toISOString(),
    time_zone: request.timeZone,
    period,
    stack: request.stack,
    by_agent: doc(byAgent),
    by_model: doc(byModel),
    by_feature: doc(byFeature),
    by_wp: doc(byWp),
    over_time: doc(overTime),
    outcomes: outcomes.map((o) => ({
      feature: o.feature,
      wp: o.wpId,
      outcome: o.outcome,
      attempts: o.attempts,
      rejections: o.rejections,
      invocations: o.invocations,
      cost_usd: usdExact(o.totalCost),
      approved_cost_usd: usdExact(o.approvedCost),
      rejected_cost_usd: usdExact(o.rejectedCost),
      failed_cost_usd: usdExact(o.failedCost),
      other_cost_usd: usdExact(o.otherCost),
      unpriced_invocations: o.unpricedInvocations,
    })),
    cache_savings: byModel.groups.flatMap((g) => {
      const rates = g.model === undefined ? undefined : pricing.resolve(g.model)?.rates;
      if (rates === undefined || g.cacheReadTokens === 0n) return [];
      // At the base rates: what the cache reads would have cost as uncached input.
      const saved = (g.cacheReadTokens * BigInt(rates.input - rates.cacheRead)) as PicoUsd;
      return [
        {
          model: g.groupKey,
          cache_read_tokens: g.cacheReadTokens,
          saved_usd: usdExact(saved),
        },
      ];
    }),
    top_invocations: scan.top.map(({ event, cost, kind }) => ({
      event_id: event.event_id,
      timestamp: event.timestamp,
      feature: event.aggregate_id,
      wp: event.payload.wp_id ?? null,
      agent: event.payload.agent ?? null,
      role: event.payload.role ?? null,
      model: event.payload.model ?? null,
      success: event.payload.success ?? null,
      cost_usd: usdExact(cost),
      cost_kind: kind,
    })),
    budgets: statuses.map((s) => ({
      scope: s.scope,
      name: s.name,
      budget_usd: usdExact(s.budget),
      spent_usd: usdExact(s.spent),
      remaining_usd: usdExact(s.remaining),
      exceeded: s.exceeded,
    })),
  };
}
