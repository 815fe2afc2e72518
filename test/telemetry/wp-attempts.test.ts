import { describe, expect, it } from "vitest";
import {
  FAILED,
  IMPLEMENTER,
  JoinedAttempts,
  type LastVerdict,
  REVIEWER,
  UNPRICED,
  WpAttempts,
  WpAttemptsPart,
} from "../../src/telemetry/wp-attempts.js";

type Run = readonly [flags: number, agent: string, pico: number, big: bigint];

const place = (clock: number) => ({ clock, node: "cli", id: String(clock) });

/** The runs read in one go, as a work package's whole log in clock order. */
function inOneGo(runs: readonly Run[], last: LastVerdict) {
  const attempts = new WpAttempts<string>();
  for (const [flags, agent, pico, big] of runs) attempts.step(flags, agent, { pico, big });
  return attempts.finish(last);
}

/** The runs cut into ranges at `cuts`, each read as a part (agents by number), then joined. */
function inRanges(runs: readonly Run[], cuts: readonly number[], last: LastVerdict) {
  const agents = [...new Set(runs.map((r) => r[1]))];
  const joined = new JoinedAttempts();
  const bounds = [0, ...cuts, runs.length];
  for (let r = 0; r + 1 < bounds.length; r++) {
    const part = new WpAttemptsPart<number>();
    for (const [flags, agent, pico, big] of runs.slice(bounds[r], bounds[r + 1]))
      part.add(flags, agents.indexOf(agent), { pico, big });
    const text = (n: number) => agents[n] as string;
    joined.join(part.toJSON("WP01", text, place(r), place(r)));
  }
  return {
    totals: joined.finish(last),
    invocations: joined.invocations,
    unpriced: joined.unpriced,
  };
}

/** A small deterministic generator (no state shared between tests). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const BIG = 2n ** 70n; // a cost past a double's exact integers

function randomRuns(next: () => number, length: number): Run[] {
  return Array.from({ length }, () => {
    const role = next();
    let flags = role < 0.45 ? IMPLEMENTER : role < 0.85 ? REVIEWER : 0;
    if (next() < 0.25) flags |= FAILED;
    if (next() < 0.05) flags |= UNPRICED;
    const agent = ["claude", "codex", "gemini"][Math.floor(next() * 3)] as string;
    const big = next() < 0.02;
    return [flags, agent, big ? Number.NaN : Math.floor(next() * 5e12), big ? BIG : 0n];
  });
}

describe("a work package's attempts read range by range", () => {
  // Runs: I and J are implementer runs of two agents, R a review, O another role; lower case
  // failed. `|` cuts the log into ranges.
  it.each([
    ["rejected twice, then approved", "I R | I R | I R"],
    ["a failed run rescued by the fallback", "i | J R"],
    ["a range starting inside an attempt", "I i | J R I"],
    // Whether the last run starts an attempt depends on the range before: not the first I.
    ["an agent seen before the range's start", "j | i j i"],
    ["reviews and other roles only", "O R | r O | R"],
  ] as const)("%s: as read in one go", (_, pattern) => {
    const runs: Run[] = [];
    const cuts: number[] = [];
    for (const token of pattern.split(" ")) {
      if (token === "|") {
        cuts.push(runs.length);
        continue;
      }
      const upper = token.toUpperCase();
      const role = upper === "R" ? REVIEWER : upper === "O" ? 0 : IMPLEMENTER;
      const failed = token === upper ? 0 : FAILED;
      runs.push([role | failed, upper === "J" ? "codex" : "claude", 1e6 * (runs.length + 1), 0n]);
    }
    for (const last of ["approved", "rejected", "open"] as const)
      expect(inRanges(runs, cuts, last).totals).toEqual(inOneGo(runs, last));
  });

  it("gives what one read gives, for random runs cut anywhere", () => {
    const next = random(20_261_201);
    for (let trial = 0; trial < 3_000; trial++) {
      const runs = randomRuns(next, Math.floor(next() * 14));
      const cuts = [...new Set(Array.from({ length: 4 }, () => Math.floor(next() * runs.length)))]
        .filter((c) => c > 0)
        .sort((a, b) => a - b);
      const last = (["approved", "rejected", "open"] as const)[trial % 3] as LastVerdict;
      const ranged = inRanges(runs, cuts, last);
      expect(
        ranged.totals,
        `runs ${JSON.stringify(runs, (_, v) => String(v))} cuts ${cuts}`,
      ).toEqual(inOneGo(runs, last));
      expect(ranged.invocations).toBe(runs.length);
      expect(ranged.unpriced).toBe(runs.filter((r) => r[0] & UNPRICED).length);
    }
  });
});
