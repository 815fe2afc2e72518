import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Role } from "../../src/telemetry/execution-payload.js";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import { waitFor } from "../support/processes.js";
import {
  agentSandbox,
  claudeEnv,
  HAIKU,
  ourCost,
  realAgent,
  runInvoker,
  SONNET,
  usd,
} from "../support/real-agents.js";

const claude = realAgent("claude");
const MAIN = "claude-sonnet-4-5";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the real Claude Code, built as our invoker builds it, against a server playing `turns`. */
async function runClaude(
  turns: readonly ScriptedTurn[],
  options: { role?: Role; stopWhenHanging?: boolean; env?: Record<string, string> } = {},
) {
  server = await startModelServer(turns);
  const { home, project } = await agentSandbox();
  const stop = new AbortController();
  // No hanging reply in time: the assertions on the run say so, not an unhandled rejection.
  if (options.stopWhenHanging === true) stopOnceHanging(server, stop).catch(() => {});
  const env = claudeEnv(home, server.url, options.env);
  const { out, result } = await runInvoker("claude", {
    project,
    env,
    model: MAIN,
    role: options.role ?? "implementer",
    timeoutMs: 30_000,
    signal: stop.signal,
  });
  const reported = resultLine(out.stdout);
  return { server, home, project, out, result, reported };
}

/**
 * SIGTERM, as our timeout sends it, once the server holds a hanging reply: a fixed timeout would
 * race the CLI's start-up on a loaded machine.
 */
async function stopOnceHanging(s: ModelServer, stop: AbortController): Promise<void> {
  await waitFor("a hanging reply", async () => s.requests.some((r) => r.served === "hang"));
  // Give it a moment to print what it had finished.
  await new Promise((r) => setTimeout(r, 300));
  stop.abort("SIGTERM");
}

/** `toBeCloseTo(1, 2)` on a ratio: within 0.5% (the acceptance of issue 11). */
const WITHIN_HALF_PERCENT = 2;

/** Claude Code's own `total_cost_usd`; throws when it printed none. */
function ownCost(reported: Record<string, unknown> | undefined): number {
  const cost = reported?.total_cost_usd;
  if (typeof cost !== "number") throw new Error("Claude Code reported no cost");
  return cost;
}

/** Claude Code's own result line (its `total_cost_usd` and `modelUsage`), as printed. */
function resultLine(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split("\n").filter((l) => l.startsWith('{"type":"result"'));
  const last = lines.at(-1);
  return last === undefined ? undefined : (JSON.parse(last) as Record<string, unknown>);
}

const WRITE_TURN_USAGE = {
  input: 1200,
  cacheRead: 20_000,
  cacheWrite5m: 4000,
  cacheWrite1h: 1000,
  output: 345,
};
const FINAL_TURN_USAGE = { input: 100, cacheRead: 25_000, output: 20 };

describe.skipIf("missing" in claude)(
  "missing" in claude ? `Claude Code 2.1.197 (skipped: ${claude.missing})` : "Claude Code 2.1.197",
  () => {
    it("writes a file with its Write tool; our estimate of the recorded event is Claude Code's own cost (1-hour writes at 2x input)", async () => {
      const run = await runClaude([
        {
          kind: "tool",
          name: "Write",
          input: { file_path: "hello.txt", content: "hello\n" },
          usage: WRITE_TURN_USAGE,
        },
        { kind: "text", text: "Wrote hello.txt.", usage: FINAL_TURN_USAGE },
      ]);
      expect(run.out.stderr).toBe("");
      expect(run.out.exitCode).toBe(0);
      expect(await readFile(join(run.project, "hello.txt"), "utf8")).toBe("hello\n");
      expect(
        run.server.requests.map((r) => [r.method, r.path + r.query, r.model, r.stream, r.status]),
      ).toEqual([
        ["HEAD", "/", null, null, 200],
        ["POST", "/v1/messages?beta=true", MAIN, true, 200],
        ["POST", "/v1/messages?beta=true", MAIN, true, 200],
      ]);
      expect(run.result).toMatchObject({
        success: true,
        model: MAIN,
        inputTokens: 1300,
        cacheReadTokens: 45_000,
        cacheWriteTokens: 5000,
        outputTokens: 365,
        responseText: "Wrote hello.txt.",
      });
      // Claude Code prices every class at the published rates, 1-hour writes at 2x input.
      const byHand = usd(WRITE_TURN_USAGE, SONNET) + usd(FINAL_TURN_USAGE, SONNET);
      const own = ownCost(run.reported);
      expect(own).toBeCloseTo(byHand, 12);
      expect(run.result.costUsd).toBe(own);
      // Our estimate of the recorded event, its reported cost left out: the 1,000 1-hour writes
      // at 6/M, the other 4,000 at 3.75/M.
      const ours = await ourCost(run.result, "claude");
      expect(ours.payload).toMatchObject({ cache_write_tokens: 5000, cache_write_1h_tokens: 1000 });
      expect(ours.kind).toBe("estimated");
      expect(ours.usd / own).toBeCloseTo(1, WITHIN_HALF_PERCENT);
      expect(ours.usd).toBeCloseTo(own, 12);
    });

    it("starts a Haiku sub-agent with its Task tool; each model priced at its own rates, as Claude Code does", async () => {
      const mainTurn = { input: 3000, cacheRead: 10_000, cacheWrite1h: 2000, output: 400 };
      const helperTurn = { input: 5000, cacheWrite5m: 8000, output: 900 };
      const run = await runClaude([
        {
          kind: "tool",
          name: "Task",
          match: { model: "claude-sonnet" },
          input: {
            description: "Count the files",
            prompt: "Count the files in this folder.",
            subagent_type: "general-purpose",
            model: "haiku",
          },
          usage: mainTurn,
        },
        {
          kind: "text",
          text: "There are no files.",
          match: { model: "claude-haiku" },
          usage: helperTurn,
        },
        { kind: "text", text: "Done.", match: { model: "claude-sonnet" }, usage: FINAL_TURN_USAGE },
      ]);
      expect(run.out.exitCode).toBe(0);
      expect(run.server.modelRequests().map((r) => r.model)).toEqual([
        MAIN,
        "claude-haiku-4-5-20251001",
        MAIN,
      ]);
      expect(run.server.turnsLeft).toBe(0);
      // Its own figure: each model at its own published prices.
      const mainUsd = usd(mainTurn, SONNET) + usd(FINAL_TURN_USAGE, SONNET);
      const helperUsd = usd(helperTurn, HAIKU);
      expect(run.reported?.total_cost_usd).toBeCloseTo(mainUsd + helperUsd, 12);
      expect(run.reported?.modelUsage).toMatchObject({
        [MAIN]: { inputTokens: 3100, outputTokens: 420 },
        "claude-haiku-4-5-20251001": { inputTokens: 5000, outputTokens: 900 },
      });
      // Our tokens are the sum over both models: right in total, but stored under one model.
      expect(run.result).toMatchObject({
        success: true,
        model: MAIN,
        inputTokens: 8100,
        cacheReadTokens: 35_000,
        cacheWriteTokens: 10_000,
        outputTokens: 1320,
        costUsd: run.reported?.total_cost_usd,
      });
      // The event keeps each model's share: Haiku's at Haiku's rates, Sonnet's 2,000 1-hour
      // writes at 6/M, as Claude Code prices them.
      const ours = await ourCost(run.result, "claude");
      const own = ownCost(run.reported);
      // Grouped by model, a dated id is shown as the price table's model it resolves to.
      expect(ours.byModel).toEqual({
        [MAIN]: expect.closeTo(mainUsd, 12),
        "claude-haiku-4-5": expect.closeTo(helperUsd, 12),
      });
      expect(ours.usd / own).toBeCloseTo(1, WITHIN_HALF_PERCENT);
      expect(ours.usd).toBeCloseTo(own, 12);
    });

    it("stops at a 401 when told not to retry: a failure, Claude Code's own message, no usage", async () => {
      // Without CLAUDE_CODE_MAX_RETRIES it retries a 401 ten times, backing off up to ~17 s.
      const run = await runClaude(
        [{ kind: "error", status: 401, message: "invalid x-api-key", repeat: true }],
        { env: { CLAUDE_CODE_MAX_RETRIES: "0" } },
      );
      expect(run.out.exitCode).toBe(1);
      expect(run.server.modelRequests().map((r) => r.status)).toEqual([401]);
      expect(run.reported).toMatchObject({
        is_error: true,
        api_error_status: 401,
        total_cost_usd: 0,
      });
      expect(run.result).toMatchObject({
        success: false,
        errors: ["Invalid API key · Fix external API key"],
        model: MAIN,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      });
    });

    it("retries a 429 as often as CLAUDE_CODE_MAX_RETRIES says, then records a failure", async () => {
      const run = await runClaude(
        [{ kind: "error", status: 429, message: "slow down", repeat: true }],
        { env: { CLAUDE_CODE_MAX_RETRIES: "1" } },
      );
      expect(run.out.exitCode).toBe(1);
      expect(run.server.modelRequests().map((r) => r.status)).toEqual([429, 429]);
      expect(run.result.success).toBe(false);
    });

    it("is stopped (SIGTERM, as at our timeout) while a reply hangs; the finished call's usage comes from its session log", async () => {
      const run = await runClaude(
        [
          {
            kind: "tool",
            name: "Write",
            input: { file_path: "a.txt", content: "a" },
            usage: WRITE_TURN_USAGE,
          },
          { kind: "hang" },
        ],
        { stopWhenHanging: true },
      );
      expect(run.out.interrupted).toBe("SIGTERM");
      expect(run.reported).toBeUndefined();
      expect(run.server.modelRequests().map((r) => r.served)).toEqual(["tool", "hang"]);
      // Stdout's assistant line has message_start's snapshot (output 1 of 345): stream-json
      // prints it at the block's end, before message_delta. The session log has the final 345.
      expect(run.out.stdout).toContain('"output_tokens":1,');
      expect(run.result).toMatchObject({
        success: false,
        model: MAIN,
        inputTokens: 1200,
        cacheReadTokens: 20_000,
        cacheWriteTokens: 5000,
        outputTokens: 345,
        costUsd: null,
      });
      // Billed for the finished call, to the pico-dollar: usd(WRITE_TURN_USAGE, SONNET) = 0.035775.
      const ours = await ourCost(run.result, "claude");
      expect(ours.payload).toMatchObject({ output_tokens: 345, cache_write_1h_tokens: 1000 });
      expect(ours.usd).toBeCloseTo(usd(WRITE_TURN_USAGE, SONNET), 12);
    });

    // Containers and CI often run as root: the implementer's command line then fails at once.
    it.runIf(process.getuid?.() === 0)(
      "as root, refuses our implementer's bypassPermissions unless IS_SANDBOX=1 (exit 1, no request)",
      async () => {
        const run = await runClaude([{ kind: "text", text: "unused" }], {
          env: { IS_SANDBOX: "" },
        });
        expect(run.out.exitCode).toBe(1);
        expect(run.out.stderr).toContain("cannot be used with root/sudo privileges");
        expect(run.server.modelRequests()).toEqual([]);
        expect(run.result.success).toBe(false);
      },
    );

    it("runs the reviewer in plan mode and returns its verdict text", async () => {
      const run = await runClaude([{ kind: "text", text: "APPROVED: looks good" }], {
        role: "reviewer",
      });
      expect(run.out.exitCode).toBe(0);
      expect(run.out.stdout).toContain('"permissionMode":"plan"');
      expect(run.result).toMatchObject({ success: true, responseText: "APPROVED: looks good" });
    });
  },
);
