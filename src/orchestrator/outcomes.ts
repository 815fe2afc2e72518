import type { Event } from "../events/event.js";
import { type CostKind, eventCost, type RateResolver, UNKNOWN_GROUP } from "../telemetry/cost.js";
import { listFeatureDirs } from "../telemetry/features.js";
import { PicoSum, type PicoUsd } from "../telemetry/money.js";
import {
  type EventFilter,
  type ParsedFilter,
  parseFilter,
  streamExecutionEvents,
} from "../telemetry/query.js";
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

/** What the split needs of an event, kept instead of the event (a feature may hold 250k). */
interface Invocation {
  readonly clock: number;
  readonly node: string;
  readonly id: string;
  readonly role: unknown;
  readonly agent: string;
  readonly failed: boolean;
  readonly cost: PicoUsd;
  readonly unpriced: boolean;
}

function byClock(a: Invocation, b: Invocation): number {
  return (
    a.clock - b.clock ||
    (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

interface Attempt {
  readonly events: Invocation[];
  reviewed: boolean;
  implemented: boolean;
  readonly agents: Set<string>;
}

/**
 * Splits a work package's events (in clock order) into attempts the way the pipeline makes
 * them: an implementer run, the fallback after it when it failed, then the reviews. A new
 * implementer run starts a new attempt once the attempt was reviewed, already succeeded, or
 * already ran that agent (a resumed run starts over with the primary agent).
 */
function splitAttempts(events: readonly Invocation[]): {
  attempts: Attempt[];
  rest: Invocation[];
} {
  const attempts: Attempt[] = [];
  const rest: Invocation[] = [];
  const fresh = (): Attempt => {
    const a: Attempt = { events: [], reviewed: false, implemented: false, agents: new Set() };
    attempts.push(a);
    return a;
  };
  for (const event of events) {
    const current = attempts.at(-1);
    if (event.role === "implementer") {
      const agent = event.agent;
      const attempt =
        current === undefined ||
        current.reviewed ||
        current.implemented ||
        current.agents.has(agent)
          ? fresh()
          : current;
      attempt.events.push(event);
      attempt.agents.add(agent);
      if (!event.failed) attempt.implemented = true;
    } else if (event.role === "reviewer") {
      const attempt = current ?? fresh();
      attempt.events.push(event);
      if (!event.failed) attempt.reviewed = true;
    } else rest.push(event);
  }
  return { attempts, rest };
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
 * attempts and failed runs. Joins the events (role, success, work package) with the
 * orchestrator's run state (the verdicts); each event is costed exactly as the cost report
 * costs it (`eventCost`), so a row's total equals `cost --group-by wp`'s.
 */
export async function workPackageOutcomes(
  scope: OutcomeScope,
  pricing: RateResolver,
  /** Sees each event with its cost, as it is counted (so one read serves other tallies). */
  onInvocation?: (event: Event, cost: PicoUsd, kind: CostKind) => void,
): Promise<WpOutcomeRow[]> {
  const filter = parseFilter(scope.filter);
  const features = await listFeatureDirs(scope.repoRoot, {
    pattern: scope.feature,
    warn: scope.warn,
  });
  const rows: WpOutcomeRow[] = [];
  for (const { slug, dir } of features) {
    const byWp = new Map<string, Invocation[]>();
    for await (const event of streamExecutionEvents(dir, filter, { warn: scope.warn })) {
      const p = event.payload;
      const { cost, kind } = eventCost(event, pricing);
      onInvocation?.(event, cost, kind);
      const invocation: Invocation = {
        clock: event.lamport_clock,
        node: event.node_id,
        id: event.event_id,
        role: p.role,
        agent: String(p.agent ?? ""),
        failed: p.success === false,
        cost,
        unpriced: kind === "unpriced" || kind === "no-usage",
      };
      const key = typeof p.wp_id === "string" && p.wp_id !== "" ? p.wp_id : UNKNOWN_GROUP;
      const list = byWp.get(key);
      if (list === undefined) byWp.set(key, [invocation]);
      else list.push(invocation);
    }
    if (byWp.size === 0) continue;
    const { state } = await RunState.load(scope.repoRoot, slug);
    for (const [wpId, events] of [...byWp].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rows.push(outcomeRow(slug, wpId, events.sort(byClock), state));
    }
  }
  return rows;
}

function outcomeRow(
  feature: string,
  wpId: string,
  events: readonly Invocation[],
  state: RunState,
): WpOutcomeRow {
  const outcome = state.outcomeOf(wpId)?.outcome ?? null;
  const { attempts, rest } = splitAttempts(events);
  const verdictOf = verdicts(attempts, outcome);
  const sums = {
    approved: new PicoSum(),
    rejected: new PicoSum(),
    failed: new PicoSum(),
    other: new PicoSum(),
  };
  let unpriced = 0;
  const add = (event: Invocation, verdict: AttemptVerdict) => {
    if (event.unpriced) unpriced++;
    const bucket = event.failed
      ? sums.failed
      : verdict === "approved"
        ? sums.approved
        : verdict === "rejected"
          ? sums.rejected
          : sums.other;
    bucket.add(event.cost);
  };
  attempts.forEach((a, i) => {
    for (const event of a.events) add(event, verdictOf[i] ?? "open");
  });
  for (const event of rest) add(event, "open");
  const total = (sums.approved.total +
    sums.rejected.total +
    sums.failed.total +
    sums.other.total) as PicoUsd;
  return {
    feature,
    wpId,
    outcome,
    attempts: attempts.length,
    rejections: verdictOf.filter((v) => v === "rejected").length,
    invocations: events.length,
    totalCost: total,
    approvedCost: sums.approved.total,
    rejectedCost: sums.rejected.total,
    failedCost: sums.failed.total,
    otherCost: sums.other.total,
    unpricedInvocations: unpriced,
  };
}
