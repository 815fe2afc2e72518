import { describe, expect, it } from "vitest";
import { codexSessionReader } from "../../src/agents/codex/sessions.js";
import type {
  SessionCall,
  SessionProblemKind,
  SessionTurn,
} from "../../src/agents/session-logs.js";
import { codexPath, runScenario, SCENARIOS, scriptedUsage } from "../support/codex-sessions.js";
import { tempDir } from "../support/temp-project.js";

const installed = codexPath() !== null;

/** Each call once per key, summed per model as ScriptUsage counts them. */
function perModel(calls: readonly SessionCall[]) {
  const once = [...new Map(calls.map((c) => [c.key, c])).values()];
  const sums: Record<string, Record<string, number>> = {};
  for (const c of once) {
    const s = sums[c.model] ?? {};
    sums[c.model] = {
      input: (s.input ?? 0) + c.usage.inputTokens,
      cacheRead: (s.cacheRead ?? 0) + c.usage.cacheReadTokens,
      cacheWrite5m: (s.cacheWrite5m ?? 0) + c.usage.cacheWriteTokens - c.usage.cacheWrite1hTokens,
      cacheWrite1h: (s.cacheWrite1h ?? 0) + c.usage.cacheWrite1hTokens,
      output: (s.output ?? 0) + c.usage.outputTokens,
      reasoning: (s.reasoning ?? 0) + c.usage.reasoningTokens,
    };
  }
  return sums;
}

describe.skipIf(!installed)(
  installed
    ? "Codex 0.171.0 session logs, live"
    : "Codex session logs, live (skipped: not installed)",
  () => {
    it.each(SCENARIOS.map((s) => [s.name, s]))(
      "%s: the real CLI's rollouts read back as the server's scripted usage, per model",
      async (_name, scenario) => {
        const root = await tempDir();
        const { threadId, codexHome } = await runScenario(root, scenario);
        const problems: SessionProblemKind[] = [];
        const sink = { report: (kind: SessionProblemKind) => void problems.push(kind) };
        const turns: SessionTurn[] = [];
        const sources = codexSessionReader.defaultSources({ CODEX_HOME: codexHome });
        for await (const unit of codexSessionReader.discover(sources, sink)) {
          for await (const turn of codexSessionReader.read(unit, sink)) turns.push(turn);
        }
        expect(problems).toEqual([]);
        expect(perModel(turns.flatMap((t) => t.calls))).toEqual(scriptedUsage(scenario));
        // Every turn is the thread `codex exec` printed, and each is over.
        expect(turns.map((t) => [t.sessionId, t.closed])).toEqual(
          turns.map(() => [threadId, true]),
        );
      },
      120_000,
    );
  },
);
