import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { geminiRouterAnswer } from "../support/model-server/gemini.js";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import {
  agentSandbox,
  GEMINI_2_5_PRO,
  geminiEnv,
  ourCost,
  realAgent,
  runInvoker,
  usd,
} from "../support/real-agents.js";

const gemini = realAgent("gemini");
const PRO = "gemini-2.5-pro";
/** What Gemini CLI 0.61 calls to route a prompt when no model is given. */
const ROUTER = "gemini-3.5-flash-lite";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real Gemini CLI, built as our invoker builds it, against a server playing `turns`. */
async function runGemini(turns: readonly ScriptedTurn[], model: string | undefined) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const env = await geminiEnv(home, server.url);
  const { out, result } = await runInvoker("gemini", { project, env, model, timeoutMs: 45_000 });
  return { server, project, out, result, reported: JSON.parse(out.stdout) as GeminiJson };
}

interface GeminiJson {
  readonly stats: { readonly models: Readonly<Record<string, { tokens: unknown }>> };
}

const WRITE_TURN = { input: 1200, cacheRead: 20_000, output: 345, reasoning: 45 };
const FINAL_TURN = { input: 100, cacheRead: 25_000, output: 20 };

describe.skipIf("missing" in gemini)(
  "missing" in gemini ? `Gemini CLI 0.61.0 (skipped: ${gemini.missing})` : "Gemini CLI 0.61.0",
  () => {
    it("with --model, writes a file; our tokens are the server's, our estimate the list price", async () => {
      const run = await runGemini(
        [
          {
            kind: "tool",
            name: "write_file",
            input: { file_path: "hello.txt", content: "hello\n" },
            usage: WRITE_TURN,
          },
          { kind: "text", text: "Wrote hello.txt.", usage: FINAL_TURN },
        ],
        PRO,
      );
      expect(run.out.exitCode, run.out.stderr).toBe(0);
      expect(await readFile(join(run.project, "hello.txt"), "utf8")).toBe("hello\n");
      expect(run.server.requests.map((r) => [r.path + r.query, r.model, r.stream])).toEqual([
        [`/v1beta/models/${PRO}:streamGenerateContent?alt=sse`, PRO, true],
        [`/v1beta/models/${PRO}:streamGenerateContent?alt=sse`, PRO, true],
      ]);
      // Its own stats: prompt counts the cached tokens, input does not; thoughts apart.
      expect(run.reported.stats.models[PRO]?.tokens).toMatchObject({
        input: 1300,
        prompt: 46_300,
        cached: 45_000,
        candidates: 320,
        thoughts: 45,
      });
      expect(run.result).toMatchObject({
        success: true,
        model: PRO,
        inputTokens: 1300,
        cacheReadTokens: 45_000,
        outputTokens: 365,
        reasoningTokens: 45,
        costUsd: null,
        responseText: "Wrote hello.txt.",
      });
      const ours = await ourCost(run.result, "gemini");
      expect(ours.kind).toBe("estimated");
      expect(ours.byModel).toEqual({ [PRO]: expect.any(Number) });
      expect(ours.usd).toBeCloseTo(
        usd(WRITE_TURN, GEMINI_2_5_PRO) + usd(FINAL_TURN, GEMINI_2_5_PRO),
        12,
      );
    });

    it("without --model, asks its router first: two models, each recorded apart, both unpriced", async () => {
      const routerTurn = { input: 900, output: 40 };
      const mainTurn = { input: 3000, cacheRead: 2000, output: 400, reasoning: 100 };
      const run = await runGemini(
        [
          {
            kind: "text",
            text: geminiRouterAnswer("flash"),
            match: { model: ROUTER },
            usage: routerTurn,
          },
          { kind: "text", text: "All done.", usage: mainTurn },
        ],
        undefined,
      );
      expect(run.out.exitCode, run.out.stderr).toBe(0);
      const [router, main] = run.server.modelRequests();
      expect([router?.path, router?.stream]).toEqual([
        `/v1beta/models/${ROUTER}:generateContent`,
        false,
      ]);
      // The router's `flash` resolves to Gemini CLI 0.61's current Flash.
      const picked = main?.model ?? "none";
      expect(picked).toBe("gemini-3.8-flash");
      expect(main?.stream).toBe(true);
      expect(Object.keys(run.reported.stats.models)).toEqual([ROUTER, picked]);
      // Each model's tokens apart, the totals their sums.
      expect(run.result).toMatchObject({
        success: true,
        model: picked,
        inputTokens: 3900,
        cacheReadTokens: 2000,
        outputTokens: 440,
        reasoningTokens: 100,
        costUsd: null,
      });
      const ours = await ourCost(run.result, "gemini");
      expect(ours.payload.models).toMatchObject([
        { model: ROUTER, input_tokens: 900, cache_read_tokens: 0, output_tokens: 40 },
        {
          model: picked,
          input_tokens: 3000,
          cache_read_tokens: 2000,
          output_tokens: 400,
          reasoning_tokens: 100,
        },
      ]);
      // Neither model is in LiteLLM's snapshot the table is made from: unpriced, never guessed.
      expect([ours.kind, ours.unpricedModels.toSorted()]).toEqual([
        "unpriced",
        [picked, ROUTER].toSorted(),
      ]);
    });
  },
);
