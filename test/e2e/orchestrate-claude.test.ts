import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { eventCost } from "../../src/telemetry/cost.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import {
  type ModelServer,
  type ScriptedTurn,
  startModelServer,
} from "../support/model-server/server.js";
import { agentSandbox, claudeEnv, realAgent, SONNET, usd } from "../support/real-agents.js";
import { runSpecKitty } from "../support/run-cli.js";

const claude = realAgent("claude");
const MAIN = "claude-sonnet-4-5";
const FEATURE = "001-e2e";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A spec-kitty project with one work package, inside the agents' temp HOME. */
async function tinyProject(project: string): Promise<void> {
  const tasks = join(project, "kitty-specs", FEATURE, "tasks");
  await mkdir(tasks, { recursive: true });
  await writeFile(
    join(tasks, "WP01-greeting.md"),
    "---\nwork_package_id: WP01\ntitle: Greeting\ndependencies: []\n---\n# Greeting\n\nWrite hello.txt.\n",
  );
}

const IMPLEMENT_1 = { input: 1500, cacheRead: 12_000, cacheWrite5m: 3000, output: 250 };
const IMPLEMENT_1_END = { input: 80, cacheRead: 15_000, output: 30 };
const REVIEW_1 = { input: 2200, cacheWrite1h: 4000, output: 120 };
const IMPLEMENT_2 = { input: 900, cacheRead: 15_000, output: 60 };
const REVIEW_2 = { input: 2300, cacheRead: 4000, output: 40 };

// One work package: implemented (a file written), rejected, implemented again, approved.
const TURNS: readonly ScriptedTurn[] = [
  {
    kind: "tool",
    name: "Write",
    input: { file_path: "hello.txt", content: "hi\n" },
    usage: IMPLEMENT_1,
  },
  { kind: "text", text: "Wrote hello.txt.", usage: IMPLEMENT_1_END },
  {
    kind: "text",
    text: "No newline check.\nVERDICT: REJECTED\nSay hello, not hi.",
    usage: REVIEW_1,
  },
  { kind: "text", text: "Fixed.", usage: IMPLEMENT_2 },
  { kind: "text", text: "VERDICT: APPROVED", usage: REVIEW_2 },
];

/** The events orchestrate recorded in the project's feature log, in order. */
async function loggedEvents(project: string): Promise<Event[]> {
  const log = join(project, "kitty-specs", FEATURE, "execution.events.jsonl");
  return (await readFile(log, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);
}

/** What the cost report estimates for a logged event once its reported costs are taken out. */
async function estimateOf(event: Event): Promise<number> {
  const payload = event.payload as Record<string, unknown>;
  const models = Array.isArray(payload.models) ? (payload.models as Record<string, unknown>[]) : [];
  const unreported = JSON.parse(
    JSON.stringify({
      ...payload,
      cost_usd: null,
      models: models.map((m) => ({ ...m, cost_usd: null })),
    }),
  ) as Event["payload"];
  const { cost, kind } = eventCost(
    { ...event, payload: unreported },
    await loadPricingTable(undefined),
  );
  expect(kind).toBe("estimated");
  return Number(cost) / 1e12;
}

describe.skipIf("missing" in claude)(
  "missing" in claude
    ? `spec-kitty orchestrate with the real Claude Code (skipped: ${claude.missing})`
    : "spec-kitty orchestrate with the real Claude Code",
  () => {
    it("implements, is rejected once, is approved: one event per run with the server's tokens", async () => {
      server = await startModelServer(TURNS);
      const { home, project } = await agentSandbox();
      await tinyProject(project);
      const run = await runSpecKitty(
        [
          "orchestrate",
          "--feature",
          "001",
          "--implementer-model",
          MAIN,
          "--reviewer-model",
          MAIN,
          "--timeout",
          "60",
        ],
        { cwd: project, env: claudeEnv(home, server.url) },
      );
      expect(run.exitCode, run.stderr).toBe(0);
      expect(server.turnsLeft).toBe(0);
      expect(await readFile(join(project, "hello.txt"), "utf8")).toBe("hi\n");
      const events = await loggedEvents(project);
      const log = events.map((e) => e.payload as Record<string, unknown>);
      const tokens = (p: Record<string, unknown>) => [
        p.role,
        p.model,
        p.success,
        p.input_tokens,
        p.cache_read_tokens,
        p.cache_write_tokens,
        p.output_tokens,
        p.cost_source,
      ];
      expect(log.map(tokens)).toEqual([
        ["implementer", MAIN, true, 1580, 27_000, 3000, 280, "reported"],
        ["reviewer", MAIN, true, 2200, 0, 4000, 120, "reported"],
        ["implementer", MAIN, true, 900, 15_000, 0, 60, "reported"],
        ["reviewer", MAIN, true, 2300, 4000, 0, 40, "reported"],
      ]);
      // Each event's cost is Claude Code's own, which follows the published prices.
      const byHand = [
        usd(IMPLEMENT_1, SONNET) + usd(IMPLEMENT_1_END, SONNET),
        usd(REVIEW_1, SONNET),
        usd(IMPLEMENT_2, SONNET),
        usd(REVIEW_2, SONNET),
      ];
      log.forEach((p, i) => {
        expect(p.cost_usd).toBeCloseTo(byHand[i] ?? Number.NaN, 12);
      });
      // Our estimate of each recorded event, its reported cost left out, is that same figure:
      // the reviewer's 4,000 1-hour writes at 6/M (0.0324; at the 5-minute rate it was 0.0234).
      expect(log[1]).toMatchObject({ cache_write_1h_tokens: 4000 });
      const estimates = await Promise.all(events.map((e) => estimateOf(e)));
      estimates.forEach((usdEstimate, i) => {
        expect(usdEstimate).toBeCloseTo(byHand[i] ?? Number.NaN, 12);
      });
      expect(estimates[1]).toBeCloseTo(0.0324, 12);
    });

    it("times out while a reply hangs: the failure is recorded with the usage of the call that finished", async () => {
      // The first call finishes (a file written); the second never answers, so --timeout ends
      // the run. Claude Code printed no result line: the usage comes from its session log.
      server = await startModelServer([
        {
          kind: "tool",
          name: "Write",
          input: { file_path: "hello.txt", content: "hi\n" },
          usage: IMPLEMENT_1,
        },
        { kind: "hang" },
      ]);
      const { home, project } = await agentSandbox();
      await tinyProject(project);
      const run = await runSpecKitty(
        [
          "orchestrate",
          "--feature",
          "001",
          "--implementer-model",
          MAIN,
          "--timeout",
          "20",
          "--kill-grace",
          "2",
        ],
        { cwd: project, env: claudeEnv(home, server.url) },
      );
      expect(run.exitCode).toBe(1);
      expect(server.modelRequests().map((r) => r.served)).toEqual(["tool", "hang"]);
      const events = await loggedEvents(project);
      expect(events.map((e) => e.payload)).toEqual([
        expect.objectContaining({
          role: "implementer",
          model: MAIN,
          success: false,
          error: "timed out after 20s; the agent exited with code 143",
          input_tokens: 1500,
          cache_read_tokens: 12_000,
          cache_write_tokens: 3000,
          output_tokens: 250,
          cost_usd: null,
        }),
      ]);
      expect(await estimateOf(events[0] as Event)).toBeCloseTo(usd(IMPLEMENT_1, SONNET), 12);
    }, 90_000);

    // The real CLI refuses (claude-code.test.ts shows it); the orchestrator says so before it.
    it.runIf(process.getuid?.() === 0)(
      "as root without IS_SANDBOX=1, refuses before starting Claude Code: exit 1, no request, no event",
      async () => {
        server = await startModelServer(TURNS);
        const { home, project } = await agentSandbox();
        await tinyProject(project);
        const run = await runSpecKitty(["orchestrate", "--feature", "001"], {
          cwd: project,
          env: claudeEnv(home, server.url, { IS_SANDBOX: "" }),
        });
        expect(run.exitCode).toBe(1);
        expect(run.stderr).toContain("Claude Code refuses to implement as root");
        expect(server.requests).toEqual([]);
        const log = join(project, "kitty-specs", FEATURE, "execution.events.jsonl");
        await expect(access(log)).rejects.toThrow();
      },
    );
  },
);
