import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeSessions } from "../../src/agents/claude/sessions.js";
import type { SessionTurn } from "../../src/agents/session-logs.js";
import {
  HAIKU_ID,
  makeClaudeSessions,
  modelOf,
  RUNS,
  requestUsage,
  SONNET_ID,
} from "../support/claude-sessions.js";
import { realAgent } from "../support/real-agents.js";
import { tempDir } from "../support/temp-project.js";

const claude = realAgent("claude");
const claudePath = "path" in claude ? claude.path : "";
const LIVE = RUNS.filter((r) => r.name === "subagent" || r.name === "moves");

describe.skipIf("missing" in claude)(
  "missing" in claude
    ? `Claude Code's session log, read live (skipped: ${claude.missing})`
    : "Claude Code 2.1.197's session log, read live",
  () => {
    it("a session moving between worktrees and one with a Haiku sub-agent: exactly the scripted tokens per model, the calls' cwd, closed turns", async () => {
      const base = await tempDir();
      const { project, home } = await makeClaudeSessions(claudePath, base, LIVE);
      const env = { HOME: home, CLAUDE_CONFIG_DIR: join(home, ".claude") };
      const problems: string[] = [];
      const sink = { report: (kind: string, where: string) => problems.push(`${kind} ${where}`) };
      const turns: SessionTurn[] = [];
      for await (const unit of claudeSessions.discover(claudeSessions.defaultSources(env), sink)) {
        for await (const turn of claudeSessions.read(unit, sink)) turns.push(turn);
      }
      expect(problems).toEqual([]);
      expect(turns.map((t) => t.closed)).toEqual([true, true]);
      const sums = (models: string[], usages: ReturnType<typeof requestUsage>[]) => {
        const out: Record<string, number[]> = {};
        usages.forEach((u, i) => {
          const model = models[i] as string;
          const s = out[model] ?? [0, 0, 0, 0, 0];
          out[model] = [
            (s[0] ?? 0) + u.inputTokens,
            (s[1] ?? 0) + u.outputTokens,
            (s[2] ?? 0) + u.cacheReadTokens,
            (s[3] ?? 0) + u.cacheWriteTokens,
            (s[4] ?? 0) + u.cacheWrite1hTokens,
          ];
        });
        return out;
      };
      const calls = turns.flatMap((t) => t.calls);
      const scripted = LIVE.flatMap((r) => r.turns);
      expect(
        sums(
          calls.map((c) => c.model),
          calls.map((c) => c.usage),
        ),
      ).toEqual(
        sums(
          scripted.map(modelOf),
          scripted.map((t) => requestUsage(t.usage)),
        ),
      );
      expect(
        Object.keys(
          sums(
            calls.map((c) => c.model),
            calls.map((c) => c.usage),
          ),
        ).sort(),
      ).toEqual([HAIKU_ID, SONNET_ID]);
      const wt = (wp: string) => join(project, ".worktrees", `043-x-${wp}`);
      expect(calls.map((c) => [c.cwd, c.subagent])).toEqual(
        expect.arrayContaining([
          [project, false],
          [wt("WP01"), false],
          [wt("WP02"), false],
          [wt("WP02"), true],
        ]),
      );
    }, 240_000);
  },
);
