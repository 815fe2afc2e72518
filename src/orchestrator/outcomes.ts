import { type EventFilter, type ParsedFilter, parseFilter } from "../telemetry/event-filter.js";
import { PICO_SUM_EXACT_BELOW, type PicoUsd } from "../telemetry/money.js";
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
 * Splits a work package's invocations (in clock order) into attempts the way the pipeline
 * makes them: an implementer run, the fallback after it when it failed, then the reviews. A new
 * implementer run starts a new attempt once the attempt was reviewed, already succeeded, or
 * already ran that agent (a resumed run starts over with the primary agent). Failed runs count
 * as failed whatever their attempt; other roles' runs as other.
 */
function outcomeRow(feature: string, wp: WpInvocations, state: RunState): WpOutcomeRow {
  const outcome = state.outcomeOf(wp.wpId)?.outcome ?? null;
  const sums = new SlotSums();
  let attempts = 0;
  let rejections = 0;
  let unpriced = 0;
  // The attempt being read: its successful invocations' cost (ATTEMPT) waits for its verdict.
  let inAttempt = false;
  let reviewed = false;
  let implemented = false;
  /** The implementer agents it ran (one or two: the primary and the fallback). */
  const agents: number[] = [];
  // An earlier attempt that was reviewed was rejected (the pipeline only implements again
  // after a rejection); one that was not was abandoned (open). The last one's verdict is the
  // run state's outcome (approved or rejected; otherwise open).
  const start = () => {
    if (inAttempt) {
      if (reviewed) rejections++;
      sums.move(ATTEMPT, reviewed ? REJECTED : OPEN);
    }
    attempts++;
    inAttempt = true;
    reviewed = false;
    implemented = false;
    agents.length = 0;
  };
  const { flags, agent, cost, bigCosts, order } = wp;
  // An index loop into typed sums: a million invocations make no object each.
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const f = flags[i] as number;
    const failedRun = (f & FAILED) !== 0;
    if (f & UNPRICED) unpriced++;
    let slot = OPEN; // other roles' runs
    if (f & IMPLEMENTER) {
      const name = agent[i] as number;
      if (!inAttempt || reviewed || implemented || agents.includes(name)) start();
      agents.push(name);
      if (!failedRun) implemented = true;
      slot = ATTEMPT;
    } else if (f & REVIEWER) {
      if (!inAttempt) start();
      if (!failedRun) reviewed = true;
      slot = ATTEMPT;
    }
    // Failed runs are failed whatever their attempt.
    if (failedRun) slot = FAILED_RUNS;
    const pico = cost[i] as number;
    if (Number.isNaN(pico)) sums.addBig(slot, bigCosts.get(i) as PicoUsd);
    else sums.add(slot, pico);
  }
  if (inAttempt) {
    const verdict = outcome === "approved" ? APPROVED : outcome === "rejected" ? REJECTED : OPEN;
    if (verdict === REJECTED) rejections++;
    sums.move(ATTEMPT, verdict);
  }
  const approved = sums.total(APPROVED);
  const rejected = sums.total(REJECTED);
  const other = sums.total(OPEN);
  const failed = sums.total(FAILED_RUNS);
  const total = (approved + rejected + failed + other) as PicoUsd;
  return {
    feature,
    wpId: wp.wpId,
    outcome,
    attempts,
    rejections,
    invocations: wp.order.length,
    totalCost: total,
    approvedCost: approved,
    rejectedCost: rejected,
    failedCost: failed,
    otherCost: other,
    unpricedInvocations: unpriced,
  };
}

// The sums of a work package's outcome row (SlotSums), and the attempt being read.
const APPROVED = 0;
const REJECTED = 1;
const OPEN = 2;
const FAILED_RUNS = 3;
const ATTEMPT = 4;

/**
 * Exact running sums of pico-dollars in slots, kept as PicoSum keeps one (a double while it
 * is exact, then a bigint), in a typed array: adding a cost allocates nothing.
 */
class SlotSums {
  readonly #small = new Float64Array(5);
  readonly #big: bigint[] = [0n, 0n, 0n, 0n, 0n];

  /** Adds a safe integer of pico-dollars. */
  add(slot: number, pico: number): void {
    const small = this.#small;
    const next = (small[slot] as number) + pico;
    if (next < PICO_SUM_EXACT_BELOW) small[slot] = next;
    else {
      this.#big[slot] = (this.#big[slot] as bigint) + BigInt(small[slot] as number) + BigInt(pico);
      small[slot] = 0;
    }
  }

  addBig(slot: number, pico: PicoUsd): void {
    this.#big[slot] = (this.#big[slot] as bigint) + pico;
  }

  /** Moves slot `from`'s sum into slot `to`. */
  move(from: number, to: number): void {
    const big = this.#big[from] as bigint;
    if (big !== 0n) this.#big[to] = (this.#big[to] as bigint) + big;
    this.#big[from] = 0n;
    const small = this.#small[from] as number;
    this.#small[from] = 0;
    this.add(to, small);
  }

  total(slot: number): PicoUsd {
    return ((this.#big[slot] as bigint) + BigInt(this.#small[slot] as number)) as PicoUsd;
  }
}
