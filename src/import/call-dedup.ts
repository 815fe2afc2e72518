import type { SessionCall, SessionTurn } from "../agents/session-logs.js";
import { shortHash } from "./import-state.js";

/** A turn as read, with the units it came from (several when a sub-agent's unit adds to it). */
export interface ReadTurn {
  readonly unitIds: readonly string[];
  readonly turn: SessionTurn;
}

/**
 * Each turn's own calls, every call counted once across all the agent's units (a resumed
 * session copies its history, a sub-agent may replay its parent's): a call belongs to the turn
 * an earlier import gave it to (`claimedBy`, hashes of call key -> turn id), else to its first
 * occurrence (earliest turn start, then unit and turn id: the same whatever order the units
 * were found in), and carries the largest usage any occurrence shows (a call's tokens only
 * grow while the agent writes it).
 */
export function ownCalls(
  turns: readonly ReadTurn[],
  claimedBy: Readonly<Record<string, string>>,
): SessionCall[][] {
  const order = turns
    .map((t, index) => ({ t, index }))
    .sort((a, b) => compareTurns(a.t, b.t))
    .map((x) => x.index);
  const largest = new Map<string, SessionCall>();
  const owner = new Map<string, number>();
  for (const index of order) {
    for (const call of (turns[index] as ReadTurn).turn.calls) {
      const best = largest.get(call.key);
      if (best === undefined || tokens(call) > tokens(best)) largest.set(call.key, call);
      if (!owner.has(call.key)) owner.set(call.key, index);
    }
  }
  return turns.map(({ turn }, index) => {
    const turnHash = shortHash(turn.turnId);
    const seen = new Set<string>();
    const own: SessionCall[] = [];
    for (const call of turn.calls) {
      if (seen.has(call.key)) continue;
      seen.add(call.key);
      const claimed = claimedBy[shortHash(call.key)];
      const mine = claimed === undefined ? owner.get(call.key) === index : claimed === turnHash;
      if (!mine) continue;
      const best = largest.get(call.key) ?? call;
      own.push(best === call ? call : { ...call, usage: best.usage, costUsd: best.costUsd });
    }
    return own;
  });
}

function compareTurns(a: ReadTurn, b: ReadTurn): number {
  const at = Date.parse(a.turn.startedAt);
  const bt = Date.parse(b.turn.startedAt);
  if (at !== bt && !Number.isNaN(at) && !Number.isNaN(bt)) return at - bt;
  const unitOf = (t: ReadTurn) => t.unitIds[0] ?? "";
  return compareText(unitOf(a), unitOf(b)) || compareText(a.turn.turnId, b.turn.turnId);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tokens(call: SessionCall): number {
  const u = call.usage;
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}
