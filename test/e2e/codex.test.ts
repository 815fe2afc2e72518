import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createInvoker } from "../../src/agents/registry.js";
import { runProcess } from "../../src/orchestrator/executor.js";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import { agentSandbox, codexEnv, realAgent } from "../support/real-agents.js";

const codex = realAgent("codex");
const MODEL = "gpt-5.1-codex";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real Codex, built as our invoker builds it, against a server playing `turns`. */
async function runCodex(turns: readonly ScriptedTurn[], model: string | null = MODEL) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const invoker = createInvoker("codex", { model: model ?? undefined });
  const command = invoker.buildCommand("Do the task.", project, "implementer");
  const out = await runProcess({
    ...command,
    cwd: project,
    env: await codexEnv(home, server.url),
    timeoutMs: 30_000,
    killGraceMs: 1000,
  });
  const result = await invoker.parseOutput(
    out.stdout,
    out.stderr,
    out.exitCode,
    out.durationSeconds,
  );
  return { server, home, out, result };
}

describe.skipIf("missing" in codex)(
  "missing" in codex ? `Codex 0.171.0 (skipped: ${codex.missing})` : "Codex 0.171.0",
  () => {
    it("answers one turn; our tokens are the server's usage, cached and reasoning tokens split out", async () => {
      const run = await runCodex([
        {
          kind: "text",
          text: "All done.",
          usage: { input: 2000, cacheRead: 5000, output: 400, reasoning: 100 },
        },
      ]);
      expect(run.out.exitCode).toBe(0);
      expect(run.server.modelRequests().map((r) => [r.path, r.model, r.stream])).toEqual([
        ["/v1/responses", MODEL, true],
      ]);
      expect(run.result).toMatchObject({
        success: true,
        model: MODEL,
        inputTokens: 2000,
        cacheReadTokens: 5000,
        outputTokens: 400,
        reasoningTokens: 100,
        costUsd: null,
        responseText: "All done.",
      });
    });

    it("without --model asks for its own default, which only its rollout names: our event has no model", async () => {
      const run = await runCodex(
        [{ kind: "text", text: "ok", usage: { input: 10, output: 5 } }],
        null,
      );
      expect(run.out.exitCode).toBe(0);
      const asked = run.server.modelRequests()[0]?.model;
      expect(asked).toBe("gpt-6.2-sol");
      // Issue 11: stdout names no model, so the event is unpriced.
      expect(run.result).toMatchObject({
        success: true,
        model: null,
        inputTokens: 10,
        outputTokens: 5,
      });
      const rollout = await rolloutOf(run.home, run.result.sessionId ?? "no thread id");
      expect(rollout).toContain(`"model":"${asked}"`);
    });

    it("records a 401 from the server as a failed run with the API's message", async () => {
      const run = await runCodex([
        { kind: "error", status: 401, message: "Incorrect API key provided", repeat: true },
      ]);
      expect(run.out.exitCode).toBe(1);
      expect(run.result.success).toBe(false);
      expect(run.result.errors.join("\n")).toContain("401");
    });
  },
);

/** The rollout file Codex wrote for thread `threadId` under `$CODEX_HOME/sessions/Y/M/D/`. */
async function rolloutOf(home: string, threadId: string): Promise<string> {
  const sessions = join(home, ".codex", "sessions");
  const files = await readdir(sessions, { recursive: true });
  const name = files.find((f) => f.endsWith(`-${threadId}.jsonl`));
  if (name === undefined) throw new Error(`no rollout for ${threadId} in ${files.join(", ")}`);
  return readFile(join(sessions, name), "utf8");
}
