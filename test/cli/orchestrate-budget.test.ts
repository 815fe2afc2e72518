import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { type FakeRule, installFakeAgents } from "../support/fake-agents.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

const FEATURE = "001-demo";

// Each implementer run reports $0.1354875 (the recorded Claude Code output); codex approves.
const RULES: readonly FakeRule[] = [
  {
    agent: "claude",
    match: ["Implement work package"],
    steps: [{ fixture: "claude/stream-json-basic.v2.1.7.jsonl" }],
  },
  {
    agent: "codex",
    match: ["Review"],
    steps: [
      {
        fixture: "codex/exec-json-success-pong.v0.149.0.jsonl",
        replace: ["PONG", "VERDICT: APPROVED"],
      },
    ],
  },
];
const ARGS = [
  "orchestrate",
  "--feature",
  "001",
  "--reviewer",
  "codex",
  "--reviewer-model",
  "gpt-5-codex",
];

/** WP01 and WP02 (independent), `spentUsd` already recorded on the feature, and a budgets file. */
async function project(spentUsd: number, budgets: string | null) {
  const root = await tempDir();
  const dir = join(root, "kitty-specs", FEATURE);
  await mkdir(join(dir, "tasks"), { recursive: true });
  for (const id of ["WP01", "WP02"]) {
    await writeFile(
      join(dir, "tasks", `${id}-part.md`),
      `---\nwork_package_id: ${id}\ntitle: Part ${id}\ndependencies: []\n---\n# Part\n\nBuild it.\n`,
    );
  }
  if (spentUsd > 0) {
    await emitExecutionEvent(dir, FEATURE, "WP00", "claude", "planner", { costUsd: spentUsd });
  }
  if (budgets !== null) await writeBudgets(root, budgets);
  const fakes = await installFakeAgents(root, RULES);
  return { root, fakes };
}

const writeBudgets = async (root: string, text: string) => {
  await mkdir(join(root, ".kittify"), { recursive: true });
  await writeFile(join(root, ".kittify", "budgets.yaml"), text);
};

const roles = async (root: string) =>
  (await readFile(join(root, "kitty-specs", FEATURE, "execution.events.jsonl"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const p = (JSON.parse(line) as { payload: { wp_id: string; role: string } }).payload;
      return `${p.wp_id} ${p.role}`;
    });

const runState = async (root: string) =>
  (
    JSON.parse(
      await readFile(join(root, ".kittify", "orchestrate", `${FEATURE}.json`), "utf8"),
    ) as {
      workPackages: Record<string, { outcome: string }>;
    }
  ).workPackages;

describe("orchestrate with a budget", () => {
  it("runs a feature at 90% of its budget to the end", async () => {
    const { root, fakes } = await project(9, `features:\n  ${FEATURE}: 10\n`);
    const run = await runSpecKitty(ARGS, { cwd: root, env: fakes.env });
    expect({ exitCode: run.exitCode, events: await roles(root) }).toEqual({
      exitCode: 0,
      events: [
        "WP00 planner",
        "WP01 implementer",
        "WP01 reviewer",
        "WP02 implementer",
        "WP02 reviewer",
      ],
    });
  });

  it.each([
    [
      "the feature's budget in budgets.yaml",
      9.9,
      `features:\n  ${FEATURE}: 10\n`,
      [],
      "the budget of 001-demo is reached: $10.0355 spent of $10.0000",
    ],
    [
      "--budget-usd for this run",
      0,
      null,
      ["--budget-usd", "0.1"],
      "this run's budget is reached: $0.1355 spent of $0.1000 (--budget-usd)",
    ],
  ] as const)(
    "crossing %s mid-run starts no further invocation, exits 3, and resumes",
    async (_, spent, budgets, flags, reason) => {
      const { root, fakes } = await project(spent, budgets);
      const run = await runSpecKitty([...ARGS, ...flags], { cwd: root, env: fakes.env });
      expect({
        exitCode: run.exitCode,
        stderr: run.stderr.split("\n").at(-2),
        calls: (await fakes.calls()).length,
        outcomes: await runState(root),
      }).toEqual({
        exitCode: 3,
        stderr: `spec-kitty: stopped: ${reason}; 2 of 2 work packages not finished (WP01, WP02); raise the budget and run the same command again to resume`,
        // WP01's implementer ran and crossed the budget: neither its review nor WP02 started.
        calls: 1,
        outcomes: { WP01: expect.objectContaining({ outcome: "interrupted" }) },
      });
      await writeBudgets(root, `features:\n  ${FEATURE}: 100\n`);
      const again = await runSpecKitty(ARGS, { cwd: root, env: fakes.env });
      expect({ exitCode: again.exitCode, outcomes: await runState(root) }).toEqual({
        exitCode: 0,
        outcomes: {
          WP01: expect.objectContaining({ outcome: "approved" }),
          WP02: expect.objectContaining({ outcome: "approved" }),
        },
      });
    },
  );

  it("starts nothing when the feature's budget is already spent", async () => {
    const { root, fakes } = await project(10, `features:\n  ${FEATURE}: 10\n`);
    const run = await runSpecKitty(ARGS, { cwd: root, env: fakes.env });
    expect({ exitCode: run.exitCode, calls: (await fakes.calls()).length }).toEqual({
      exitCode: 3,
      calls: 0,
    });
    expect(run.stderr).toContain("the budget of 001-demo is reached: $10.0000 spent of $10.0000");
  });

  it("refuses to start with a malformed budgets file, naming the line", async () => {
    const { root, fakes } = await project(0, `features:\n  ${FEATURE}: ten\n`);
    const run = await runSpecKitty(ARGS, { cwd: root, env: fakes.env });
    expect({ exitCode: run.exitCode, calls: (await fakes.calls()).length }).toEqual({
      exitCode: 1,
      calls: 0,
    });
    expect(run.stderr).toContain("budgets.yaml:2:13: features.001-demo: expected an amount in USD");
  });
});
