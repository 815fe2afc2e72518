import { describe, expect, it } from "vitest";
import { costSummary } from "../../src/telemetry/cost.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { type EventFilter, queryProjectEvents } from "../../src/telemetry/query.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, FIXTURE_PROJECT } from "../support/temp-project.js";

const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];

interface CostRow {
  readonly group_key: string;
  readonly event_count: number;
  readonly total_cost_usd: number;
}

describe("cost takes the filters of events", () => {
  it.each<[string[], EventFilter]>([
    [["--agent", "claude"], { agent: "claude" }],
    [["--role", "reviewer"], { role: "reviewer" }],
    [["--failure"], { success: false }],
    [["--success", "--model", "claude-sonnet-4.5"], { success: true, model: "claude-sonnet-4.5" }],
    [["--wp", "WP04", "--agent", "copilot"], { wpId: "WP04", agent: "copilot" }],
  ])(
    "%j: the events that events lists, costed as the library costs them",
    async (flags, filter) => {
      const cwd = await copyOfFixtureProject();
      // The fixture has no failure: one, recorded as emit records it.
      const failed = await runSpecKitty(
        telemetry(
          ...["emit", "--feature", "048-full-lifecycle-telemetry-events", "--role", "reviewer"],
          ...["--agent", "claude", "--model", "claude-sonnet-4.5", "--input-tokens", "1000"],
          ...["--failure", "--error", "exit 1"],
        ),
        { cwd },
      );
      expect(failed.exitCode, failed.stderr).toBe(0);
      const cost = await runSpecKitty(telemetry("cost", "--json", ...flags), { cwd });
      const events = await runSpecKitty(telemetry("events", "--json", ...flags), { cwd });
      expect([cost.exitCode, events.exitCode, cost.stderr, events.stderr]).toEqual([0, 0, "", ""]);
      const rows = JSON.parse(cost.stdout) as CostRow[];
      const listed = JSON.parse(events.stdout) as unknown[];
      expect(listed.length).toBeGreaterThan(0);
      expect(rows.reduce((n, r) => n + r.event_count, 0)).toBe(listed.length);
      const pricing = await loadPricingTable(cwd, { warn: () => undefined });
      const all = await queryProjectEvents(
        cwd,
        { ...filter, eventType: "ExecutionEvent" },
        { warn: () => undefined },
      );
      const expected = costSummary(all, "agent", pricing).map((g) => [g.groupKey, g.eventCount]);
      expect(rows.map((r) => [r.group_key, r.event_count])).toEqual(expected);
    },
  );

  it("filters nothing away without flags (the same report as before)", async () => {
    const cwd = await copyOfFixtureProject();
    const [plain, all] = await Promise.all([
      runSpecKitty(telemetry("cost", "--json"), { cwd }),
      runSpecKitty(telemetry("cost", "--json", "--since", "2000-01-01"), { cwd }),
    ]);
    expect(plain.stdout).toBe(all.stdout);
  });
});

describe("a filter value that matches nothing", () => {
  it.each<[string, string[], string]>([
    [
      "cost",
      ["--agent", "Claude"],
      'hint: no event has --agent "Claude"; agents in these logs: claude, codex_nonKitty, copilot, unknown\n',
    ],
    [
      "events",
      ["--model", "sonnet", "--json"],
      'hint: no event has --model "sonnet"; models in these logs: claude-opus-4-6, claude-opus-4.6, claude-sonnet-4.5\n',
    ],
    [
      "cost",
      ["--wp", "WP99", "--feature", "043"],
      'hint: no event has --wp "WP99"; work packages in these logs: WP04\n',
    ],
    [
      "events",
      ["--agent", "codex_nonKitty", "--until", "2026-02-16"],
      'hint: no event has --agent "codex_nonKitty"; agents in these logs: claude, copilot, unknown\n',
    ],
  ])(
    "%s %j: a hint listing the values that exist, on stderr, exit 0",
    async (command, flags, hint) => {
      const run = await runSpecKitty(telemetry(command, ...flags), { cwd: FIXTURE_PROJECT });
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain(hint);
    },
  );

  it("gives no hint when each value exists but not together", async () => {
    const run = await runSpecKitty(telemetry("cost", "--agent", "claude", "--failure"), {
      cwd: await copyOfFixtureProject(),
    });
    expect(run).toEqual({ stdout: "No execution events found.\n", stderr: "", exitCode: 0 });
  });

  it.each(["cost", "events"])("%s refuses a role emit refuses, with exit 1", async (command) => {
    const run = await runSpecKitty(telemetry(command, "--role", "tester"), {
      cwd: FIXTURE_PROJECT,
    });
    expect(run).toEqual({
      stdout: "",
      stderr:
        "error: option '--role <role>' argument 'tester' is invalid. Allowed choices are implementer, reviewer, specifier, planner, merger.\n",
      exitCode: 1,
    });
  });
});
