import { join } from "node:path";
import type { RequestUsage } from "../../src/agents/contract.js";
import type {
  SessionLogReader,
  SessionProblemKind,
  SessionTurn,
  SessionUnit,
} from "../../src/agents/session-logs.js";
import type { ScriptUsage } from "./model-server/script.js";

export const SESSION_FIXTURES = join(import.meta.dirname, "..", "fixtures", "session-logs");

export interface Problem {
  readonly kind: SessionProblemKind;
  readonly where: string;
  readonly detail: string;
}

/** Every unit and turn `reader` finds under `sources`, and the problems it reported. */
export async function readAllSessions(reader: SessionLogReader, sources: readonly string[]) {
  const problems: Problem[] = [];
  const sink = {
    report: (kind: SessionProblemKind, where: string, detail: string) => {
      problems.push({ kind, where, detail });
    },
  };
  const units: SessionUnit[] = [];
  const turns: SessionTurn[] = [];
  for await (const unit of reader.discover(sources, sink)) {
    units.push(unit);
    for await (const turn of reader.read(unit, sink)) turns.push(turn);
  }
  return { units, turns, problems };
}

/** Each model's usage summed over every call of `turns`. */
export function usageByModel(turns: readonly SessionTurn[]): Record<string, RequestUsage> {
  const out: Record<string, RequestUsage> = {};
  for (const call of turns.flatMap((t) => t.calls)) {
    const sum = out[call.model] ?? {
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    };
    out[call.model] = {
      inputTokens: sum.inputTokens + call.usage.inputTokens,
      outputTokens: sum.outputTokens + call.usage.outputTokens,
      cacheReadTokens: sum.cacheReadTokens + call.usage.cacheReadTokens,
      cacheWriteTokens: sum.cacheWriteTokens + call.usage.cacheWriteTokens,
      cacheWrite1hTokens: sum.cacheWrite1hTokens + call.usage.cacheWrite1hTokens,
      reasoningTokens: sum.reasoningTokens + call.usage.reasoningTokens,
    };
  }
  return out;
}

/** Scripted usage in our classes, summed (Gemini and OpenAI bill no cache writes apart). */
export function scriptedUsage(usages: readonly ScriptUsage[]): RequestUsage {
  const sum = (pick: (u: ScriptUsage) => number | undefined) =>
    usages.reduce((n, u) => n + (pick(u) ?? 0), 0);
  return {
    inputTokens: sum((u) => u.input),
    outputTokens: sum((u) => u.output),
    cacheReadTokens: sum((u) => u.cacheRead),
    cacheWriteTokens: sum((u) => u.cacheWrite5m),
    cacheWrite1hTokens: sum((u) => u.cacheWrite1h),
    reasoningTokens: sum((u) => u.reasoning),
  };
}
