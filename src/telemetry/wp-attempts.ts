import { PICO_SUM_EXACT_BELOW, type PicoUsd } from "./money.js";

/** Flags of an invocation, as attempts are read from them. */
export const IMPLEMENTER = 1;
export const REVIEWER = 2;
export const FAILED = 4;
export const UNPRICED = 8;

// The sums of a work package's attempts (SlotSums): the approved attempt's, rejected attempts',
// the rest, failed runs', and the attempt being read (its verdict not known yet).
export const APPROVED = 0;
export const REJECTED = 1;
export const OPEN = 2;
export const FAILED_RUNS = 3;
export const ATTEMPT = 4;
const SLOTS = 5;

/**
 * Exact running sums of pico-dollars in slots, kept as PicoSum keeps one (a double while it
 * is exact, then a bigint), in a typed array: adding a cost allocates nothing.
 */
export class SlotSums {
  readonly #small = new Float64Array(SLOTS);
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

  addBig(slot: number, pico: bigint): void {
    this.#big[slot] = (this.#big[slot] as bigint) + pico;
  }

  addCost(slot: number, cost: RunCost): void {
    const pico = cost.pico;
    if (Number.isNaN(pico)) this.addBig(slot, cost.big);
    else this.add(slot, pico);
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

  /** Every slot's total as decimal text. */
  toJSON(): string[] {
    return Array.from({ length: SLOTS }, (_, slot) => this.total(slot).toString());
  }

  /** Adds sums given as `toJSON` gives them. */
  addAll(totals: readonly string[]): void {
    for (let slot = 0; slot < SLOTS; slot++) {
      const text = totals[slot] ?? "0";
      if (text !== "0") this.addBig(slot, BigInt(text));
    }
  }
}

/** How the last attempt ended, as the run state tells it. */
export type LastVerdict = "approved" | "rejected" | "open";

/**
 * An invocation's cost: pico-dollars while a safe integer, else NaN and `big`. Passed as an
 * object (a scan's FieldsCost) rather than as a double, which a call would box on the heap.
 */
export interface RunCost {
  readonly pico: number;
  readonly big: bigint;
}

/** A work package's attempts and what each kind cost, once read (see WpAttempts.finish). */
export interface AttemptTotals {
  readonly attempts: number;
  readonly rejections: number;
  readonly approvedCost: PicoUsd;
  readonly rejectedCost: PicoUsd;
  readonly failedCost: PicoUsd;
  readonly otherCost: PicoUsd;
}

/**
 * A work package's invocations read in clock order, split into attempts the way the pipeline
 * makes them: an implementer run, the fallback after it when it failed, then the reviews. A new
 * implementer run starts a new attempt once the attempt was reviewed, already succeeded, or
 * already ran that agent (a resumed run starts over with the primary agent). Failed runs count
 * as failed whatever their attempt; other roles' runs as other. `A` names an agent (a text
 * number in a scan's thread, the text itself once joined).
 */
export class WpAttempts<A> {
  attempts = 0;
  rejections = 0;
  readonly sums = new SlotSums();
  /** The attempt being read: its successful invocations' cost (ATTEMPT) waits for its verdict. */
  inAttempt = false;
  reviewed = false;
  implemented = false;
  /** The implementer agents it ran (one or two: the primary and the fallback): `agentCount` of `agents`. */
  readonly agents: A[] = [];
  agentCount = 0;

  /** One invocation: its flags, agent and cost. */
  step(flags: number, agent: A, cost: RunCost): void {
    const failedRun = (flags & FAILED) !== 0;
    let slot = OPEN; // other roles' runs
    if (flags & IMPLEMENTER) {
      if (!this.inAttempt || this.reviewed || this.implemented || this.#ran(agent)) this.start();
      this.agents[this.agentCount++] = agent;
      if (!failedRun) this.implemented = true;
      slot = ATTEMPT;
    } else if (flags & REVIEWER) {
      if (!this.inAttempt) this.start();
      if (!failedRun) this.reviewed = true;
      slot = ATTEMPT;
    }
    // Failed runs are failed whatever their attempt.
    if (failedRun) slot = FAILED_RUNS;
    this.sums.addCost(slot, cost);
  }

  /**
   * Starts an attempt. An earlier attempt that was reviewed was rejected (the pipeline only
   * implements again after a rejection); one that was not was abandoned (open).
   */
  start(): void {
    if (this.inAttempt) {
      if (this.reviewed) this.rejections++;
      this.sums.move(ATTEMPT, this.reviewed ? REJECTED : OPEN);
    }
    this.attempts++;
    this.inAttempt = true;
    this.reviewed = false;
    this.implemented = false;
    // Its slots reused, not made anew: an attempt is started every few invocations.
    this.agentCount = 0;
  }

  #ran(agent: A): boolean {
    for (let i = 0; i < this.agentCount; i++) if (this.agents[i] === agent) return true;
    return false;
  }

  /** The agents the attempt being read ran. */
  ranAgents(): A[] {
    return this.agents.slice(0, this.agentCount);
  }

  /** The totals, the last attempt's verdict being `last` (the run state's). */
  finish(last: LastVerdict): AttemptTotals {
    let rejections = this.rejections;
    const sums = new SlotSums();
    for (const slot of [APPROVED, REJECTED, OPEN, FAILED_RUNS, ATTEMPT])
      sums.addBig(slot, this.sums.total(slot));
    if (this.inAttempt) {
      const verdict = last === "approved" ? APPROVED : last === "rejected" ? REJECTED : OPEN;
      if (verdict === REJECTED) rejections++;
      sums.move(ATTEMPT, verdict);
    }
    return {
      attempts: this.attempts,
      rejections,
      approvedCost: sums.total(APPROVED),
      rejectedCost: sums.total(REJECTED),
      failedCost: sums.total(FAILED_RUNS),
      otherCost: sums.total(OPEN),
    };
  }
}

/** Where an invocation is in clock order: Lamport clock, then node, then event id. */
export interface ClockPlace {
  readonly clock: number;
  readonly node: string;
  readonly id: string;
}

/** Orders two places as clock order has them (negative: `a` first). */
export function compareClockPlaces(a: ClockPlace, b: ClockPlace): number {
  const d = a.clock - b.clock;
  if (d !== 0) return d;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A work package's invocations in one range of a log, read in clock order without knowing
 * the attempt the range starts in (an earlier range's): the implementer and reviewer runs up
 * to the first one certain to start an attempt, whatever came before, are kept as they are
 * (`prefix`); from that start on, the attempts are read as WpAttempts reads them. Other
 * roles' runs before it add to the sums alone (their slot does not depend on the attempt).
 * Joined in file order (WpAttemptsPart.joinInto), the ranges' parts give what reading all the
 * invocations in one go gives.
 */
export interface WpAttemptsPartJson {
  readonly wpId: string;
  readonly invocations: number;
  readonly unpriced: number;
  /** The runs kept as they are: flags, agent, cost in pico-dollars (decimal text). */
  readonly prefix: readonly (readonly [flags: number, agent: string, pico: string])[];
  /** Whether an attempt was certain to start after the prefix (then the fields below apply). */
  readonly settled: boolean;
  /** Attempts from that start on (it included), rejections among them. */
  readonly attempts: number;
  readonly rejections: number;
  /** SlotSums.toJSON of everything but the prefix. */
  readonly sums: readonly string[];
  /** The attempt being read at the range's end. */
  readonly reviewed: boolean;
  readonly implemented: boolean;
  readonly agents: readonly string[];
  /** The first and last invocations' places in clock order. */
  readonly first: ClockPlace;
  readonly last: ClockPlace;
}

/**
 * One work package's part of a range (see WpAttemptsPartJson), fed its invocations in file
 * order: the caller checks that this is clock order.
 */
export class WpAttemptsPart<A> {
  invocations = 0;
  unpriced = 0;
  readonly #prefix: [flags: number, agent: A, cost: RunCost][] = [];
  #settled = false;
  readonly #attempts = new WpAttempts<A>();
  // Until settled: since the last run that may have started an attempt, what is certain of the
  // attempt being read (a lower bound: it may have started earlier and hold more).
  #sinceAgent: A | undefined = undefined;
  #sinceImplemented = false;
  #sinceReviewed = false;

  add(flags: number, agent: A, cost: RunCost): void {
    this.invocations++;
    if (flags & UNPRICED) this.unpriced++;
    if (this.#settled) {
      this.#attempts.step(flags, agent, cost);
      return;
    }
    const failedRun = (flags & FAILED) !== 0;
    if (flags & IMPLEMENTER) {
      // (Nothing is certain before the range's first implementer or reviewer run.)
      const certain = this.#sinceImplemented || this.#sinceReviewed || this.#sinceAgent === agent;
      if (certain) {
        this.#settled = true;
        // A fresh attempt (the one before it is closed when the parts are joined).
        this.#attempts.start();
        this.#attempts.step(flags, agent, cost);
        return;
      }
      // It may have started an attempt: what is certain starts again from it.
      this.#sinceAgent = agent;
      this.#sinceImplemented = !failedRun;
      this.#sinceReviewed = false;
    } else if (flags & REVIEWER) {
      // Never starts an attempt but as the range's first run (nothing is certain then).
      this.#sinceReviewed ||= !failedRun;
    } else {
      // Another role's run: other, or failed, whatever the attempt.
      this.#attempts.sums.addCost(failedRun ? FAILED_RUNS : OPEN, cost);
      return;
    }
    this.#prefix.push([flags, agent, { pico: cost.pico, big: cost.big }]);
  }

  toJSON(
    wpId: string,
    textOf: (agent: A) => string,
    first: ClockPlace,
    last: ClockPlace,
  ): WpAttemptsPartJson {
    const a = this.#attempts;
    return {
      wpId,
      invocations: this.invocations,
      unpriced: this.unpriced,
      prefix: this.#prefix.map(([flags, agent, { pico, big }]) => [
        flags,
        textOf(agent),
        Number.isNaN(pico) ? big.toString() : String(pico),
      ]),
      settled: this.#settled,
      attempts: a.attempts,
      rejections: a.rejections,
      sums: a.sums.toJSON(),
      reviewed: a.reviewed,
      implemented: a.implemented,
      agents: a.ranAgents().map(textOf),
      first,
      last,
    };
  }
}

/** A work package's attempts over a whole log, joined from its ranges' parts in file order. */
export class JoinedAttempts extends WpAttempts<string> {
  invocations = 0;
  unpriced = 0;

  /** Reads a part of the next range (see WpAttemptsPartJson). */
  join(part: WpAttemptsPartJson): void {
    this.invocations += part.invocations;
    this.unpriced += part.unpriced;
    for (const [flags, agent, pico] of part.prefix)
      this.step(flags, agent, { pico: Number.NaN, big: BigInt(pico) });
    if (part.settled) {
      // The start the part was certain of: it closes the attempt read so far.
      this.start();
      this.attempts += part.attempts - 1;
      this.rejections += part.rejections;
      this.reviewed = part.reviewed;
      this.implemented = part.implemented;
      this.agentCount = 0;
      for (const agent of part.agents) this.agents[this.agentCount++] = agent;
    }
    this.sums.addAll(part.sums);
  }
}
