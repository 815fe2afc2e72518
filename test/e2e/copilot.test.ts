import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import {
  agentSandbox,
  copilotEnv,
  GPT_5_1_CODEX,
  ourCost,
  realAgent,
  runInvoker,
  usd,
} from "../support/real-agents.js";

const copilot = realAgent("copilot");
const MODEL = "gpt-5.1-codex";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real Copilot CLI, built as our invoker builds it, against a server playing `turns`. */
async function runCopilot(turns: readonly ScriptedTurn[]) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const env = copilotEnv(home, server.url, MODEL);
  const { out, result } = await runInvoker("copilot", {
    project,
    env,
    model: MODEL,
    timeoutMs: 45_000,
  });
  return { server, home, project, out, result };
}

/** Copilot's own per-request usage: `session.usage_record` in its session state. */
async function usageRecords(home: string, sessionId: string) {
  const dir = join(home, ".copilot", "session-state", sessionId);
  expect(await readdir(dir)).toContain("events.jsonl");
  const lines = (await readFile(join(dir, "events.jsonl"), "utf8")).split("\n").filter(Boolean);
  return lines
    .map((l) => JSON.parse(l) as { type: string; data: { usage?: Record<string, unknown> } })
    .filter((e) => e.type === "session.usage_record")
    .map((e) => e.data.usage);
}

const WRITE_TURN = { input: 2000, cacheRead: 5000, output: 400, reasoning: 100 };
const FINAL_TURN = { input: 150, cacheRead: 7000, output: 30, reasoning: 10 };

describe.skipIf("missing" in copilot)(
  "missing" in copilot
    ? `Copilot CLI 1.0.102 (skipped: ${copilot.missing})`
    : "Copilot CLI 1.0.102",
  () => {
    it("runs a shell command with its own key; every token from its session state, none on stdout", async () => {
      const run = await runCopilot([
        {
          kind: "tool",
          name: "bash",
          input: {
            command: "printf 'hello\\n' > hello.txt",
            description: "Write hello.txt",
            mode: "sync",
          },
          usage: WRITE_TURN,
        },
        { kind: "text", text: "Wrote hello.txt.", usage: FINAL_TURN },
      ]);
      expect(run.out.exitCode, run.out.stderr).toBe(0);
      expect(await readFile(join(run.project, "hello.txt"), "utf8")).toBe("hello\n");
      expect(run.server.requests.map((r) => [r.path, r.model, r.stream, r.status])).toEqual([
        ["/v1/chat/completions", MODEL, true, 200],
        ["/v1/chat/completions", MODEL, true, 200],
      ]);
      // Its session state has each request's usage, cached tokens inside input as the API sent.
      const records = await usageRecords(run.home, run.result.sessionId ?? "no session id");
      expect(records).toMatchObject(
        [WRITE_TURN, FINAL_TURN].map((u) => ({
          model: MODEL,
          inputTokens: u.input + u.cacheRead,
          cacheReadTokens: u.cacheRead,
          cacheWriteTokens: 0,
          outputTokens: u.output,
          reasoningTokens: u.reasoning,
          isByok: true,
        })),
      );
      // Stdout carries no token count in 1.0.102: the invoker reads them from that session state.
      expect(run.result).toMatchObject({
        success: true,
        model: MODEL,
        inputTokens: 2150,
        cacheReadTokens: 12_000,
        cacheWriteTokens: 0,
        outputTokens: 430,
        reasoningTokens: 110,
        costUsd: null,
        responseText: "Wrote hello.txt.",
      });
      const ours = await ourCost(run.result, "copilot");
      expect(ours.kind).toBe("estimated");
      expect(ours.usd).toBeCloseTo(
        usd(WRITE_TURN, GPT_5_1_CODEX) + usd(FINAL_TURN, GPT_5_1_CODEX),
        12,
      );
      expect(ours.usd).toBeCloseTo(0.0084875, 12);
    });
  },
);
