import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import {
  agentSandbox,
  GPT_5_1_CODEX,
  OPENCODE_PROVIDER,
  opencodeEnv,
  ourCost,
  realAgent,
  runInvoker,
  usd,
} from "../support/real-agents.js";

const opencode = realAgent("opencode");
const MODEL = "gpt-5.1-codex";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real OpenCode, built as our invoker builds it, against a server playing `turns`. */
async function runOpencode(turns: readonly ScriptedTurn[]) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const env = await opencodeEnv(home, project, server.url, [MODEL]);
  const { out, result } = await runInvoker("opencode", {
    project,
    env,
    model: `${OPENCODE_PROVIDER}/${MODEL}`,
    timeoutMs: 45_000,
  });
  return { server, project, out, result };
}

// OpenCode titles the session with a request of its own before the turn (its `small` model,
// here the same one): the title's usage is billed but never printed.
const TITLE_PROMPT = "You are a title generator";

const TITLE = { input: 300, output: 12 };
const WRITE_TURN = { input: 2000, cacheRead: 5000, output: 400, reasoning: 100 };
const FINAL_TURN = { input: 150, cacheRead: 7000, output: 30, reasoning: 10 };

describe.skipIf("missing" in opencode)(
  "missing" in opencode ? `OpenCode 1.18.33 (skipped: ${opencode.missing})` : "OpenCode 1.18.33",
  () => {
    it("writes a file through a custom provider; every request it made is recorded exactly", async () => {
      const run = await runOpencode([
        // Without our --title OpenCode would ask for a title first: a billed request it never
        // reports. This turn stays unused when it does not.
        {
          kind: "text",
          text: "Greeting file",
          usage: TITLE,
          match: { bodyIncludes: TITLE_PROMPT },
        },
        {
          kind: "tool",
          // With a GPT model OpenCode offers apply_patch, not write: the shell is simpler.
          name: "bash",
          input: { command: "printf 'hello\\n' > hello.txt", description: "Write hello.txt" },
          usage: WRITE_TURN,
        },
        { kind: "text", text: "Wrote hello.txt.", usage: FINAL_TURN },
      ]);
      expect(run.out.exitCode, run.out.stderr).toBe(0);
      expect(await readFile(join(run.project, "hello.txt"), "utf8")).toBe("hello\n");
      // Chat completions only, nothing from the npm registry or models.dev.
      expect(run.server.requests.map((r) => [r.path, r.model, r.stream, r.status])).toEqual([
        ["/v1/chat/completions", MODEL, true, 200],
        ["/v1/chat/completions", MODEL, true, 200],
      ]);
      // The title turn was never asked for: the two turns are all OpenCode was billed for.
      expect(run.server.turnsLeft).toBe(1);
      expect(run.result).toMatchObject({
        success: true,
        model: `${OPENCODE_PROVIDER}/${MODEL}`,
        inputTokens: 2150,
        cacheReadTokens: 12_000,
        cacheWriteTokens: 0,
        outputTokens: 430,
        reasoningTokens: 110,
        // OpenCode prices a custom provider's model at 0: not a cost, left to our estimate.
        costUsd: null,
        responseText: "Wrote hello.txt.",
      });
      // A title request (300 in, 12 out: 0.000495) would be in no stdout line, nor in OpenCode's
      // own storage (~/.local/share/opencode/opencode.db keeps the turns' tokens only).
      const ours = await ourCost(run.result, "opencode");
      expect(ours.kind).toBe("estimated");
      expect(ours.usd).toBeCloseTo(
        usd(WRITE_TURN, GPT_5_1_CODEX) + usd(FINAL_TURN, GPT_5_1_CODEX),
        12,
      );
    });
  },
);
