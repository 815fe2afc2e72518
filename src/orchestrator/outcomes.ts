import { PicoSum, type PicoUsd } from "../telemetry/money.js";
import { type EventFilter, type ParsedFilter, parseFilter } from "../telemetry/query.js";
import { FAILED, IMPLEMENTER, REVIEWER, UNPRICED } from "../telemetry/scan/spend-pass.js";
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

/** The attempt being read: its successful invocations' cost waits for its verdict. */
interface Attempt {
  reviewed: boolean;
  implemented: boolean;
  /** The implementer agents it ran (one or two: the primary and the fallback). */
  readonly agents: number[];
  readonly cost: PicoSum;
}

/**
 * Per work package: attempts, rejections, and what went into the approved attempt, rejected
 * attempts and failed runs. Joins the execution events (role, success, work package) with the
 * orchestrator's run state (the verdicts); each event is costed exactly as the cost report
 * costs it (`eventCost`), so a row's total equals `cost --group-by wp`'s. One parallel read of
 * the logs (spendScan); a dashboard that has made that read passes its result to `outcomesOf`.
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
  const states = await Promise.all(features.map(({ slug }) => RunState.load(repoRoot, slug)));
  return features.flatMap(({ slug, workPackages }, i) => {
    const { state } = states[i] as { state: RunState };
    return workPackages.map((wp) => outcomeRow(slug, wp, state));
  });
}

/**
 * Splits a work package's invocations (in clock order) into attempts the way the pipeline
 * makes them: an implementer run, the fallback after it when it failed, then the reviews. A new
 * implementer run starts a new attempt once the attempt was reviewed, already succeeded, or
 * already ran that agent (a resumed run starts over with the primary agent). Failed runs count
 * as failed whatever their attempt; other roles' runs as other.
 */
function outcomeRow(feature: string, wp: WpInvocations, state: RunState): WpOutcomeRow {
  const outcome = state.outcomeOf(wp.wpId)?.outcome ?? null;
  const sums = { approved: new PicoSum(), rejected: new PicoSum(), open: new PicoSum() };
  const failed = new PicoSum();
  let [attempts, rejections, unpriced] = [0, 0, 0];
  let current = null as Attempt | null;
  // An attempt's verdict: the last one's is the run state's outcome (approved or rejected;
  // otherwise open); an earlier one that was reviewed was rejected (the pipeline only
  // implements again after a rejection), one that was not was abandoned (open).
  const close = (attempt: Attempt, last: boolean) => {
    const verdict: AttemptVerdict = last
      ? outcome === "approved" || outcome === "rejected"
        ? outcome
        : "open"
      : attempt.reviewed
        ? "rejected"
        : "open";
    if (verdict === "rejected") rejections++;
    sums[verdict].addSum(attempt.cost);
  };
  const fresh = (): Attempt => {
    if (current !== null) close(current, false);
    attempts++;
    current = { reviewed: false, implemented: false, agents: [], cost: new PicoSum() };
    return current;
  };
  const { flags, agent, cost, bigCosts } = wp;
  for (const i of wp.order) {
    const f = flags[i] as number;
    const failedRun = (f & FAILED) !== 0;
    if (f & UNPRICED) unpriced++;
    let attempt: Attempt | null = null;
    if (f & IMPLEMENTER) {
      const name = agent[i] as number;
      attempt =
        current === null || current.reviewed || current.implemented || current.agents.includes(name)
          ? fresh()
          : current;
      attempt.agents.push(name);
      if (!failedRun) attempt.implemented = true;
    } else if (f & REVIEWER) {
      attempt = current ?? fresh();
      if (!failedRun) attempt.reviewed = true;
    }
    // Failed runs are failed whatever their attempt; other roles' runs are open.
    const sum = failedRun ? failed : (attempt?.cost ?? sums.open);
    const pico = cost[i] as number;
    if (Number.isNaN(pico)) sum.add(bigCosts.get(i) as PicoUsd);
    else sum.addSafe(pico);
  }
  if (current !== null) close(current, true);
  const other = sums.open;
  const total = (sums.approved.total + sums.rejected.total + failed.total + other.total) as PicoUsd;
  return {
    feature,
    wpId: wp.wpId,
    outcome,
    attempts,
    rejections,
    invocations: wp.order.length,
    totalCost: total,
    approvedCost: sums.approved.total,
    rejectedCost: sums.rejected.total,
    failedCost: failed.total,
    otherCost: other.total,
    unpricedInvocations: unpriced,
  };
}
