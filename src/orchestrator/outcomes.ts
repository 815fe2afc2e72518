import { type EventFilter, type ParsedFilter, parseFilter } from "../telemetry/event-filter.js";
import type { PicoUsd } from "../telemetry/money.js";
import {
  type FeatureInvocations,
  type SpendScanRequest,
  spendScan,
  type WpInvocations,
} from "../telemetry/spend-scan.js";
import type { WarningSink } from "../telemetry/warnings.js";
import { RunState, type WpOutcome } from "./run-state.js";

/** How one implementation attempt ended, as far as the events and the run state tell. */
export type AttemptVerdict = "approved" | "rejected" | "open";

/** What a work package's attempts cost, by how they ended. */
export interface WpOutcomeRow {
  readonly feature: string;
  readonly wpId: string;
  /** How the last orchestrated run on it ended (the run state); null when none ran it. */
  readonly outcome: WpOutcome | null;
  /** Implementation attempts found in the events (an implementer run, its fallback, its reviews). */
  readonly attempts: number;
  /** Attempts a reviewer rejected. */
  readonly rejections: number;
  readonly invocations: number;
  /** Every invocation's cost; the four parts below add up to it exactly. */
  readonly totalCost: PicoUsd;
  /** Successful invocations of the approved attempt. */
  readonly approvedCost: PicoUsd;
  /** Successful invocations of rejected attempts. */
  readonly rejectedCost: PicoUsd;
  /** Failed invocations (success false), whatever their attempt. */
  readonly failedCost: PicoUsd;
  /** The rest: attempts not reviewed yet or abandoned, and other roles' runs. */
  readonly otherCost: PicoUsd;
  /** Invocations whose cost is neither reported nor priceable (counted as 0). */
  readonly unpricedInvocations: number;
}

/** Where and which events: the same scope as a cost report's. */
export interface OutcomeScope {
  readonly repoRoot: string;
  readonly feature?: string | undefined;
  readonly filter?: Omit<EventFilter, "eventType"> | Omit<ParsedFilter, "eventType">;
  readonly warn: WarningSink;
}

/**
 * Per work package: attempts, rejections, and what went into the approved attempt, rejected
 * attempts and failed runs. Joins the execution events (role, success, work package) with the
 * orchestrator's run state (the verdicts); each event is costed exactly as the cost report
 * costs it (`eventCost`), so a row's total equals `cost --group-by wp`'s. One parallel read of
 * the logs (spendScan); a dashboard that makes that read passes each feature's invocations to
 * `featureOutcomes` as its log is read.
 */
export async function workPackageOutcomes(
  scope: OutcomeScope,
  pricing: SpendScanRequest["pricing"],
): Promise<WpOutcomeRow[]> {
  const scan = await spendScan({
    repoRoot: scope.repoRoot,
    feature: scope.feature,
    filter: parseFilter(scope.filter),
    timeZone: "UTC",
    rowKeep: 0,
    periodKeep: 0,
    period: "month",
    maxPeriods: 0,
    top: 0,
    pricing,
    warn: scope.warn,
  });
  return outcomesOf(scope.repoRoot, scan.features);
}

/** The outcome rows of invocations a scan found, with each feature's run state. */
export async function outcomesOf(
  repoRoot: string,
  features: readonly FeatureInvocations[],
): Promise<WpOutcomeRow[]> {
  // Each feature's run state, read at once (the verdicts).
  const rows = await Promise.all(features.map((feature) => featureOutcomes(repoRoot, feature)));
  return rows.flat();
}

/** The outcome rows of one feature's invocations, with its run state. */
export async function featureOutcomes(
  repoRoot: string,
  { slug, workPackages }: FeatureInvocations,
): Promise<WpOutcomeRow[]> {
  const { state } = await RunState.load(repoRoot, slug);
  return workPackages.map((wp) => outcomeRow(slug, wp, state));
}

/**
 * A work package's row: its attempts (see WpAttempts: how invocations make attempts), the last
 * one's verdict taken from the run state.
 */
function outcomeRow(feature: string, wp: WpInvocations, state: RunState): WpOutcomeRow {
  const outcome = state.outcomeOf(wp.wpId)?.outcome ?? null;
  const { attempts } = wp;
  // An earlier attempt that was reviewed was rejected; the last one's verdict is the run
  // state's outcome (approved or rejected; otherwise open).
  const last = outcome === "approved" || outcome === "rejected" ? outcome : "open";
  const totals = attempts.finish(last);
  const { approvedCost, rejectedCost, failedCost, otherCost } = totals;
  return {
    feature,
    wpId: wp.wpId,
    outcome,
    attempts: totals.attempts,
    rejections: totals.rejections,
    invocations: attempts.invocations,
    totalCost: (approvedCost + rejectedCost + failedCost + otherCost) as PicoUsd,
    approvedCost,
    rejectedCost,
    failedCost,
    otherCost,
    unpricedInvocations: attempts.unpriced,
  };
}
