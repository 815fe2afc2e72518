import type { SessionTurn } from "../agents/session-logs.js";
import type { ReadTurn } from "./call-dedup.js";

/**
 * The turns read, those with one id made one: a reader gives a sub-agent's calls the id of the
 * parent turn that spawned them, from the sub-agent's own unit (Codex writes a rollout per
 * thread). The merged turn spans them all, is closed when all its parts are, and holds their
 * calls in time order and their signals.
 */
export function mergeTurns(turns: readonly ReadTurn[]): ReadTurn[] {
  const byId = new Map<string, ReadTurn[]>();
  for (const t of turns) {
    const parts = byId.get(t.turn.turnId);
    if (parts === undefined) byId.set(t.turn.turnId, [t]);
    else parts.push(t);
  }
  return [...byId.values()].map((parts) =>
    parts.length === 1 ? (parts[0] as ReadTurn) : merged(parts),
  );
}

function merged(parts: readonly ReadTurn[]): ReadTurn {
  const sorted = [...parts].sort((a, b) => time(a.turn.startedAt) - time(b.turn.startedAt));
  const first = (sorted[0] as ReadTurn).turn;
  const turn: SessionTurn = {
    turnId: first.turnId,
    sessionId: first.sessionId,
    startedAt: first.startedAt,
    endedAt: sorted.map((p) => p.turn.endedAt).reduce((a, b) => (time(b) > time(a) ? b : a)),
    closed: sorted.every((p) => p.turn.closed),
    signals: {
      commands: sorted.flatMap((p) => p.turn.signals.commands),
      paths: sorted.flatMap((p) => p.turn.signals.paths),
    },
    calls: sorted
      .flatMap((p) => p.turn.calls)
      .map((call, order) => ({ call, order }))
      .sort((a, b) => time(a.call.timestamp) - time(b.call.timestamp) || a.order - b.order)
      .map((x) => x.call),
  };
  const unitIds = [...new Set(sorted.flatMap((p) => p.unitIds))].sort();
  return { unitIds, turn };
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}
