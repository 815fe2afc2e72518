import { basename } from "node:path";
import type { Event } from "../events/event.js";
import { workPackageOutcomes } from "../orchestrator/outcomes.js";
import { projectSpending } from "../telemetry/budget-spending.js";
import { type BudgetStatus, budgetStatuses, loadBudgets } from "../telemetry/budgets.js";
import type { CostKind, GroupByKey } from "../telemetry/cost.js";
import { Latest } from "../telemetry/latest.js";
import type { PicoUsd } from "../telemetry/money.js";
import type { PricingTable } from "../telemetry/pricing.js";
import type { ParsedFilter } from "../telemetry/query.js";
import { costReport, type ReportScope } from "../telemetry/report.js";
import type { TelemetryWarning } from "../telemetry/warnings.js";
import { usdExact } from "./cost-totals.js";
import { costJsonDocument } from "./format-cost-json.js";
import type { PrettyValue } from "./output.js";

/** The version of the data a dashboard embeds (`<script id="dashboard-data">`). */
export const DASHBOARD_DATA_VERSION = 1;

/** What a dashboard shows, and how. */
export interface DashboardRequest {
  readonly repoRoot: string;
  readonly feature: string | undefined;
  readonly filter: ParsedFilter;
  readonly timeZone: string;
  readonly period: "day" | "week";
  readonly stack: "agent" | "model";
  readonly top: number;
  readonly nowMs: number;
  readonly pricing: PricingTable;
  readonly warn: (w: TelemetryWarning) => void;
}

interface TopInvocation {
  readonly cost: PicoUsd;
  readonly kind: CostKind;
  readonly event: Event;
}

/**
 * The aggregates of a dashboard: each chart's and table's figures are `cost --format json`
 * documents made by the same code as that command (one per grouping), plus the work-package
 * outcomes, the cache savings, the costliest invocations and the budgets. No raw event is kept
 * but the top N, so the size does not grow with the log.
 */
export async function dashboardData(request: DashboardRequest): Promise<PrettyValue> {
  const { repoRoot, feature, filter, pricing, warn } = request;
  const warnings: TelemetryWarning[] = [];
  // Every grouping reads the same logs: each warning is passed on once.
  const seen = new Set<string>();
  const collect = (w: TelemetryWarning) => {
    const key = `${w.code}\u0000${w.file ?? ""}\u0000${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    warnings.push(w);
    warn(w);
  };
  const scope: ReportScope = {
    repoRoot,
    feature,
    filter,
    warn: collect,
    timeZone: request.timeZone,
  };
  const report = async (groupBy: readonly GroupByKey[]) => {
    const { groups } = await costReport(scope, groupBy, pricing);
    return { groupBy, groups };
  };
  const byAgent = await report(["agent"]);
  const byModel = await report(["model"]);
  const byFeature = await report(["feature"]);
  const byWp = await report(["wp"]);
  const overTime = await report([request.period, request.stack]);
  const top = new Latest<TopInvocation>(request.top, (a, b) =>
    a.cost < b.cost ? -1 : a.cost > b.cost ? 1 : a.event.event_id < b.event.event_id ? 1 : -1,
  );
  const outcomes = await workPackageOutcomes(
    { repoRoot, feature, filter, warn: collect },
    pricing,
    (event, cost, kind) => top.add({ event, cost, kind }),
  );
  const budgets = await loadBudgets(repoRoot);
  const statuses: BudgetStatus[] =
    budgets === undefined
      ? []
      : budgetStatuses(
          budgets,
          await projectSpending(repoRoot, pricing, {
            timeZone: request.timeZone,
            nowMicros: request.nowMs * 1000,
            warn: collect,
          }),
        );
  const doc = (r: {
    groupBy: readonly GroupByKey[];
    groups: Parameters<typeof costJsonDocument>[0]["groups"];
  }) =>
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
    period: request.period,
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
    top_invocations: top
      .sorted()
      .reverse()
      .map(({ event, cost, kind }) => ({
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
