import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", "fit", name);
const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];

// The fixture's output is ASCII, box-drawing characters and …: one column per code point.
const width = (line: string) => [...line].length;

/** Every line fits, and every boxed row starts with a filled first cell (none split in two). */
function expectFits(stdout: string, columns: number): void {
  const lines = stdout.trimEnd().split("\n");
  expect(lines.filter((line) => width(line) > columns)).toEqual([]);
  const rows = lines.filter((line) => line.startsWith("│"));
  expect(rows.filter((line) => /^│ +│/.test(line))).toEqual([]);
}

const WIDTHS = [60, 80, 100, 160] as const;
const GROUP_BYS = ["agent", "model", "feature", "role", "wp", "agent,model", "feature,wp"];

describe("tables fit the terminal", () => {
  it.each(WIDTHS.flatMap((columns) => GROUP_BYS.map((groupBy) => [groupBy, columns] as const)))(
    "cost -g %s at %i columns",
    async (groupBy, columns) => {
      const run = await runSpecKitty(telemetry("cost", "-g", groupBy), {
        cwd: await copyOfFixtureProject(),
        columns,
      });
      expect([run.exitCode, run.stderr]).toEqual([0, ""]);
      expectFits(run.stdout, columns);
      await expect(run.stdout).toMatchFileSnapshot(
        snapshot(`cost-${groupBy.replace(",", "-")}-${columns}.txt`),
      );
    },
  );

  it.each(WIDTHS)("events at %i columns", async (columns) => {
    const run = await runSpecKitty(telemetry("events"), {
      cwd: await copyOfFixtureProject(),
      columns,
    });
    expect([run.exitCode, run.stderr]).toEqual([0, ""]);
    expectFits(run.stdout, columns);
    await expect(run.stdout).toMatchFileSnapshot(snapshot(`events-${columns}.txt`));
  });

  it.each<[string, Record<string, string>, number | undefined, boolean]>([
    ["a terminal of 80 columns", {}, 80, true],
    ["COLUMNS=80 on a pipe", { COLUMNS: "80" }, undefined, true],
    ["a pipe without COLUMNS", {}, undefined, false],
    ["a terminal's width before COLUMNS", { COLUMNS: "80" }, 200, false],
  ])("takes the width from %s", async (_, env, columns, compact) => {
    for (const command of ["cost", "events"]) {
      const run = await runSpecKitty(telemetry(command), {
        cwd: await copyOfFixtureProject(),
        columns,
        env,
      });
      expect([command, run.stdout.includes("--wide for all.")]).toEqual([command, compact]);
    }
  });

  it("--wide prints every column however narrow the terminal", async () => {
    const project = await copyOfFixtureProject();
    const wide = await runSpecKitty(telemetry("cost", "--wide"), { cwd: project, columns: 60 });
    const piped = await runSpecKitty(telemetry("cost"), { cwd: project });
    expect(wide.stdout).toBe(piped.stdout);
  });
});
