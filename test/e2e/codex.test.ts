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
  codexEnv,
  GPT_5_1_CODEX,
  ourCost,
  realAgent,
  runInvoker,
  usd,
} from "../support/real-agents.js";

const codex = realAgent("codex");
const MODEL = "gpt-5.1-codex";
const USAGE = { input: 2000, cacheRead: 5000, output: 400, reasoning: 100 };

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real Codex, built as our invoker builds it, against a server playing `turns`. */
async function runCodex(turns: readonly ScriptedTurn[], model: string | null = MODEL) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const env = await codexEnv(home, server.url);
  const { out, result } = await runInvoker("codex", {
    project,
    env,
    model: model ?? undefined,
    timeoutMs: 30_000,
  });
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
          usage: USAGE,
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
      // Cached and reasoning tokens priced apart: 2,000 in + 5,000 cached + 400 out.
      const ours = await ourCost(run.result, "codex");
      expect(ours.kind).toBe("estimated");
      expect(ours.usd).toBeCloseTo(usd(USAGE, GPT_5_1_CODEX), 12);
    });

    it("without --model asks for its own default, which only its rollout names: our event names it", async () => {
      const run = await runCodex(
        [{ kind: "text", text: "ok", usage: { input: 10, output: 5 } }],
        null,
      );
      expect(run.out.exitCode).toBe(0);
      const asked = run.server.modelRequests()[0]?.model;
      expect(asked).toBe("gpt-6.2-sol");
      // Stdout names no model; the rollout of the thread does, and the event records it.
      const rollout = await rolloutOf(run.home, run.result.sessionId ?? "no thread id");
      expect(rollout).toContain(`"model":"${asked}"`);
      expect(run.result).toMatchObject({
        success: true,
        model: asked,
        inputTokens: 10,
        outputTokens: 5,
      });
      // Not in the pricing table (nor in LiteLLM's snapshot): reported unpriced, never guessed.
      const ours = await ourCost(run.result, "codex");
      expect([ours.kind, ours.unpricedModels]).toEqual(["unpriced", [asked]]);
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
