import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

// The events are emitted now (the real clock), and the month budget is this month's.
const COST = ["agent", "telemetry", "cost"];

/** Two features: 001-alpha spent $3.00 (two events), 002-beta $0.50. */
async function project(budgets: string | null): Promise<string> {
  const root = await tempDir();
  const emit = (feature: string, usd: number) =>
    emitExecutionEvent(
      join(root, "kitty-specs", feature),
      feature,
      "WP01",
      "claude",
      "implementer",
      {
        costUsd: usd,
      },
    );
  await emit("001-alpha", 1);
  await emit("001-alpha", 2);
  await emit("002-beta", 0.5);
  if (budgets !== null) {
    await mkdir(join(root, ".kittify"), { recursive: true });
    await writeFile(join(root, ".kittify", "budgets.yaml"), budgets);
  }
  return root;
}

describe("budgets", () => {
  it("shows spent, budget and what is left (or over) under the cost table", async () => {
    const root = await project("project: 10\nfeatures:\n  001-alpha: 2.5\n  002-beta: 1\n");
    const run = await runSpecKitty(COST, { cwd: root });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.slice(run.stdout.indexOf("\nBudgets"))).toBe(
      [
        "",
        "Budgets (spent of budget, all events):",
        "  project            $3.5000 of $10.0000, $6.5000 left",
        "  feature 001-alpha  $3.0000 of $2.5000, $0.5000 over",
        "  feature 002-beta   $0.5000 of $1.0000, $0.5000 left",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["no budgets file", null, 0, "no budgets: .kittify/budgets.yaml does not exist\n"],
    ["all within", "project: 3.5\nmonthly: 100\n", 0, ""],
    [
      "a feature over",
      "features:\n  001-alpha: 2.99\n",
      3,
      "spec-kitty: budget exceeded: feature 001-alpha spent $3.0000 of $2.9900 ($0.0100 over)\n",
    ],
    [
      "this month over",
      "monthly: 1\n",
      3,
      expect.stringMatching(
        /^spec-kitty: budget exceeded: month \d{4}-\d\d spent \$3\.5000 of \$1\.0000 \(\$2\.5000 over\)\n$/,
      ),
    ],
  ])("--check-budget: %s exits %s", async (_, budgets, exitCode, stderr) => {
    const root = await project(budgets);
    const run = await runSpecKitty([...COST, "--check-budget", "--format", "json"], { cwd: root });
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode, stderr });
  });

  it.each([
    ["a YAML syntax error", "project: 5\nfeatures: [\n", ":3:1: "],
    [
      "an unknown key",
      "project: 5\nmontly: 3\n",
      ':2:1: unknown key "montly" (expected project, monthly or features)',
    ],
    [
      "a negative feature budget",
      "project: 5\nfeatures:\n  001-alpha: -2\n",
      ":3:14: features.001-alpha: expected an amount in USD, 0 or more",
    ],
    ["a text amount", "monthly: lots\n", ":1:10: monthly: expected an amount in USD, 0 or more"],
    ["not a mapping", "- 5\n", ":1:1: the file: expected a mapping"],
  ])("a malformed budgets file (%s) is an error naming its line", async (_, budgets, where) => {
    const root = await project(budgets);
    const run = await runSpecKitty([...COST, "--check-budget"], { cwd: root });
    expect({ exitCode: run.exitCode, stdout: run.stdout }).toEqual({ exitCode: 1, stdout: "" });
    expect(run.stderr).toContain(`${join(root, ".kittify", "budgets.yaml")}${where}`);
  });
});
