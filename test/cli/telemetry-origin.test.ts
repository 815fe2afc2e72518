import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import type { EventSource } from "../../src/telemetry/execution-payload.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

const ROOT = join(import.meta.dirname, "..", "..");
const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", name);
const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];
const FEATURE = "043-telemetry-foundation";

/**
 * The fixture project (the Python CLI's real logs: no event records its origin) plus events
 * recorded by each of ours: orchestrate ($2, claude), emit ($0.50, codex), import (two, $3 and
 * $1.25, claude and gemini).
 */
async function mixedProject(): Promise<string> {
  const root = await copyOfFixtureProject();
  const added: [EventSource, string, number][] = [
    ["orchestrate", "claude", 2],
    ["emit", "codex", 0.5],
    ["import", "claude", 3],
    ["import", "gemini", 1.25],
  ];
  for (const [source, agent, costUsd] of added) {
    const event = await emitExecutionEvent(
      join(root, "kitty-specs", FEATURE),
      FEATURE,
      "WP02",
      agent,
      "implementer",
      { model: "claude-sonnet-4-5", inputTokens: 1000, outputTokens: 100, costUsd, source },
    );
    expect(event?.payload.source).toBe(source);
  }
  return root;
}

async function costRows(root: string, ...args: string[]) {
  const run = await runSpecKitty(telemetry("cost", "--json", ...args), { cwd: root });
  expect(run.exitCode, run.stderr).toBe(0);
  const rows = JSON.parse(run.stdout) as {
    group_key: string;
    event_count: number;
    total_cost_usd: number;
  }[];
  return rows.map((r) => [r.group_key, r.event_count, r.total_cost_usd]);
}

describe("cost and events tell orchestrated, emitted and imported spend apart", () => {
  it("-g source: one row per origin; the Python CLI's events (no origin) are `unknown`", async () => {
    const root = await mixedProject();
    expect(await costRows(root, "-g", "source")).toEqual([
      ["unknown", 25, 39.64163],
      ["import", 2, 4.25],
      ["orchestrate", 1, 2],
      ["emit", 1, 0.5],
    ]);
  });

  it.each<[string, string[], (string | number)[][]]>([
    [
      "one origin",
      ["--origin", "import", "-g", "agent"],
      [
        ["claude", 1, 3],
        ["gemini", 1, 1.25],
      ],
    ],
    [
      "two origins",
      ["--origin", "orchestrate,emit", "-g", "agent"],
      [
        ["claude", 1, 2],
        ["codex", 1, 0.5],
      ],
    ],
    [
      "the events that record none",
      ["--origin", "unknown", "-g", "source"],
      [["unknown", 25, 39.64163]],
    ],
    [
      "an origin and a field filter",
      ["--origin", "import", "--agent", "gemini", "-g", "source"],
      [["import", 1, 1.25]],
    ],
  ])("--origin: %s", async (_, args, rows) => {
    expect(await costRows(await mixedProject(), ...args)).toEqual(rows);
  });

  it.each([60, 80, 100, 160])("-g source,agent table at %i columns (snapshot)", async (columns) => {
    const run = await runSpecKitty(telemetry("cost", "-g", "source,agent"), {
      cwd: await mixedProject(),
      columns,
    });
    expect(run.exitCode).toBe(0);
    await expect(run.stdout).toMatchFileSnapshot(snapshot(`fit/cost-source-agent-${columns}.txt`));
  });

  it("--format json: grouped by source and filtered by origin, valid against schemas/cost-report.v1.json", async () => {
    const schema = JSON.parse(await readFile(join(ROOT, "schemas", "cost-report.v1.json"), "utf8"));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    const run = await runSpecKitty(
      telemetry("cost", "-g", "source,agent", "--origin", "import,unknown", "--format", "json"),
      { cwd: await mixedProject() },
    );
    const report = JSON.parse(run.stdout) as {
      filters: Record<string, unknown>;
      rows: { group: Record<string, string> }[];
    };
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.filters).toEqual({
      feature: null,
      since: null,
      until: null,
      origin: ["import", "unknown"],
    });
    expect(new Set(report.rows.map((r) => r.group.source))).toEqual(new Set(["import", "unknown"]));
  });

  it("events --origin lists only those events", async () => {
    const run = await runSpecKitty(telemetry("events", "--origin", "import,emit", "--json"), {
      cwd: await mixedProject(),
    });
    const events = JSON.parse(run.stdout) as { payload: { source?: string; agent: string } }[];
    expect(events.map((e) => [e.payload.source, e.payload.agent])).toEqual([
      ["emit", "codex"],
      ["import", "claude"],
      ["import", "gemini"],
    ]);
  });

  it.each([
    ["cost", ["cost", "--origin", "import"]],
    ["events", ["events", "--origin", "import"]],
  ])("%s: an origin no event has gives a hint naming the origins there are", async (_, args) => {
    const run = await runSpecKitty(telemetry(...args), { cwd: await copyOfFixtureProject() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("No execution events found.\n");
    expect(run.stderr).toBe(
      'hint: no event has --origin "import"; origins in these logs: unknown\n',
    );
  });

  it.each([
    ["imports", 'invalid --origin "imports": use orchestrate, emit, import, unknown'],
    ["import,", 'invalid --origin "": use orchestrate, emit, import, unknown'],
  ])("--origin %s is refused, naming the origins", async (value, message) => {
    const run = await runSpecKitty(telemetry("cost", "--origin", value), {
      cwd: await copyOfFixtureProject(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(message);
  });
});
