import { PicoSum, type PicoUsd } from "../telemetry/money.js";
import { type EventFilter, type ParsedFilter, parseFilter } from "../telemetry/query.js";
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

/** An attempt being read: its successful invocations' cost waits for its verdict. */
interface Attempt {
  reviewed: boolean;
  implemented: boolean;
  readonly agents: Set<string>;
  readonly cost: PicoSum;
}

/**
 * The verdict of each attempt: the last one's is the run state's outcome (approved or
 * rejected; otherwise open); an earlier one that was reviewed was rejected (the pipeline only
 * implements again after a rejection), one that was not was abandoned (open).
 */
function verdicts(attempts: readonly Attempt[], last: WpOutcome | null): AttemptVerdict[] {
  return attempts.map((a, i) => {
    if (i === attempts.length - 1) {
      return last === "approved" ? "approved" : last === "rejected" ? "rejected" : "open";
    }
    return a.reviewed ? "rejected" : "open";
  });
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
  const rows: WpOutcomeRow[] = [];
  for (const { slug, workPackages } of features) {
    const { state } = await RunState.load(repoRoot, slug);
    for (const wp of workPackages) rows.push(outcomeRow(slug, wp, state));
  }
  return rows;
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
  const attempts: Attempt[] = [];
  const failed = new PicoSum();
  const other = new PicoSum();
  let unpriced = 0;
  const fresh = (): Attempt => {
    const a: Attempt = {
      reviewed: false,
      implemented: false,
      agents: new Set(),
      cost: new PicoSum(),
    };
    attempts.push(a);
    return a;
  };
  wp.forEach((event) => {
    if (event.unpriced) unpriced++;
    let attempt: Attempt | null = null;
    const current = attempts.at(-1);
    if (event.role === "implementer") {
      attempt =
        current === undefined ||
        current.reviewed ||
        current.implemented ||
        current.agents.has(event.agent)
          ? fresh()
          : current;
      attempt.agents.add(event.agent);
      if (!event.failed) attempt.implemented = true;
    } else if (event.role === "reviewer") {
      attempt = current ?? fresh();
      if (!event.failed) attempt.reviewed = true;
    }
    const sum = event.failed ? failed : (attempt?.cost ?? other);
    if (Number.isNaN(event.pico)) sum.add(event.big);
    else sum.addSafe(event.pico);
  });
  const verdictOf = verdicts(attempts, outcome);
  const sums = { approved: new PicoSum(), rejected: new PicoSum(), open: other };
  attempts.forEach((a, i) => {
    sums[verdictOf[i] ?? "open"].addSum(a.cost);
  });
  const total = (sums.approved.total + sums.rejected.total + failed.total + other.total) as PicoUsd;
  return {
    feature,
    wpId: wp.wpId,
    outcome,
    attempts: attempts.length,
    rejections: verdictOf.filter((v) => v === "rejected").length,
    invocations: wp.count,
    totalCost: total,
    approvedCost: sums.approved.total,
    rejectedCost: sums.rejected.total,
    failedCost: failed.total,
    otherCost: other.total,
    unpricedInvocations: unpriced,
  };
}
