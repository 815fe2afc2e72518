import { expect } from "vitest";
import type { SessionCall } from "../../src/agents/session-logs.js";
import { PROMPTS, SESSION_USAGE } from "./agent-sessions.js";
import { type readAllSessions, scriptedUsage, usageByModel } from "./session-reading.js";

/**
 * What every read of the two-prompt session (agent-sessions.ts) must give, whatever the agent:
 * no problem, the scripted tokens on `model`, two turns of 2 and 1 calls (the last one closed
 * or not, as the agent records it), three distinct calls, the review command found by pattern
 * and no prompt text kept. Returns the calls, for the agent's own checks (cwd, cost, branch).
 */
export function expectTwoPromptSession(
  read: Awaited<ReturnType<typeof readAllSessions>>,
  expected: { readonly model: string; readonly sessionId: string; readonly lastClosed: boolean },
): SessionCall[] {
  expect(read.problems).toEqual([]);
  expect(usageByModel(read.turns)).toEqual({
    [expected.model]: scriptedUsage(Object.values(SESSION_USAGE)),
  });
  expect(read.turns.map((t) => [t.sessionId, t.calls.length, t.closed])).toEqual([
    [expected.sessionId, 2, true],
    [expected.sessionId, 1, expected.lastClosed],
  ]);
  const calls = read.turns.flatMap((t) => t.calls);
  expect(new Set(calls.map((c) => c.key)).size).toBe(3);
  expect(read.turns[1]?.signals.commands).toEqual([
    { step: "review", wpId: "WP01", feature: null },
  ]);
  expect(JSON.stringify(read.turns)).not.toContain(PROMPTS[0]);
  return calls;
}
