import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { usdExact } from "../../src/cli/cost-totals.js";
import { workPackageOutcomes } from "../../src/orchestrator/outcomes.js";
import { RunState } from "../../src/orchestrator/run-state.js";
import { EVENT_LOG_FILE, emitExecutionEvent } from "../../src/telemetry/emit.js";
import type { Role } from "../../src/telemetry/execution-payload.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

const FEATURE = "001-demo";
type Run = readonly [wp: string, role: Role, agent: string, usd: number, success: boolean];

// In emission order. WP01: rejected twice, approved at the third attempt. WP02: claude fails,
// the fallback gemini implements, codex approves. WP03: approved at once.
const RUNS: readonly Run[] = [
  ["WP01", "implementer", "claude", 1.0, true],
  ["WP01", "reviewer", "codex", 0.1, true],
  ["WP02", "implementer", "claude", 0.4, false],
  ["WP02", "implementer", "gemini", 0.7, true],
  ["WP01", "implementer", "claude", 1.5, true],
  ["WP02", "reviewer", "codex", 0.05, true],
  ["WP01", "reviewer", "codex", 0.2, true],
  ["WP03", "implementer", "claude", 0.3, true],
  ["WP01", "implementer", "claude", 2.0, true],
  ["WP03", "reviewer", "codex", 0.05, true],
  ["WP01", "reviewer", "codex", 0.25, true],
];

/** The hand-built project: its events and the run state the orchestrator would have left. */
async function handBuiltProject(): Promise<string> {
  const root = await tempDir();
  const dir = join(root, "kitty-specs", FEATURE);
  for (const [wp, role, agent, usd, success] of RUNS) {
    await emitExecutionEvent(dir, FEATURE, wp, agent, role, {
      costUsd: usd,
      success,
      ...(success ? {} : { error: "exit 1", exitCode: 1 }),
    });
  }
  const { state } = await RunState.load(root, FEATURE);
  await state.record("WP01", "approved", 3);
  await state.record("WP02", "approved", 1);
  await state.record("WP03", "approved", 1);
  return root;
}

const usd = (pico: bigint) => Number(pico) / 1e12;

describe("workPackageOutcomes", () => {
  it("splits each work package's cost into approved, rejected and failed, by hand", async () => {
    const root = await handBuiltProject();
    const rows = await workPackageOutcomes(
      { repoRoot: root, warn: () => undefined },
      await loadPricingTable(root),
    );
    expect(
      rows.map((r) => ({
        wp: r.wpId,
        outcome: r.outcome,
        attempts: r.attempts,
        rejections: r.rejections,
        invocations: r.invocations,
        total: usd(r.totalCost),
        approved: usd(r.approvedCost),
        rejected: usd(r.rejectedCost),
        failed: usd(r.failedCost),
        other: usd(r.otherCost),
      })),
    ).toEqual([
      // 1.0 + 0.1 + 1.5 + 0.2 rejected; 2.0 + 0.25 approved.
      {
        wp: "WP01",
        outcome: "approved",
        attempts: 3,
        rejections: 2,
        invocations: 6,
        total: 5.05,
        approved: 2.25,
        rejected: 2.8,
        failed: 0,
        other: 0,
      },
      // The failed claude run (0.4) is in the failed column; gemini's 0.7 and the review approved.
      {
        wp: "WP02",
        outcome: "approved",
        attempts: 1,
        rejections: 0,
        invocations: 3,
        total: 1.15,
        approved: 0.75,
        rejected: 0,
        failed: 0.4,
        other: 0,
      },
      {
        wp: "WP03",
        outcome: "approved",
        attempts: 1,
        rejections: 0,
        invocations: 2,
        total: 0.35,
        approved: 0.35,
        rejected: 0,
        failed: 0,
        other: 0,
      },
    ]);
  });

  it("reads a log whose lines are not in clock order as their clocks order them", async () => {
    const root = await handBuiltProject();
    const rowsOf = async () =>
      workPackageOutcomes({ repoRoot: root, warn: () => undefined }, await loadPricingTable(root));
    const inOrder = await rowsOf();
    const log = join(root, "kitty-specs", FEATURE, EVENT_LOG_FILE);
    const lines = (await readFile(log, "utf8")).split("\n").filter((l) => l !== "");
    await writeFile(log, `${lines.reverse().join("\n")}\n`);
    expect(await rowsOf()).toEqual(inOrder);
  });

  it("gives each work package the total `cost --group-by wp --format json` gives it", async () => {
    const root = await handBuiltProject();
    const rows = await workPackageOutcomes(
      { repoRoot: root, warn: () => undefined },
      await loadPricingTable(root),
    );
    const run = await runSpecKitty(["agent", "telemetry", "cost", "-g", "wp", "--format", "json"], {
      cwd: root,
    });
    const report = JSON.parse(run.stdout) as {
      rows: { group: { wp: string }; cost_usd: string }[];
    };
    const byWp = Object.fromEntries(report.rows.map((r) => [r.group.wp, r.cost_usd]));
    // Exact decimal strings: to the pico-dollar.
    expect(
      Object.fromEntries(rows.map((r) => [`${r.feature}/${r.wpId}`, usdExact(r.totalCost)])),
    ).toEqual(byWp);
  });

  it.each([
    ["rejected", 3, 0],
    ["failed", 2, 2.25],
  ] as const)(
    "takes the last attempt's verdict from the run state (%s)",
    async (outcome, rejections, other) => {
      const root = await handBuiltProject();
      const { state } = await RunState.load(root, FEATURE);
      await state.record("WP01", outcome, 3);
      const [wp01] = await workPackageOutcomes(
        { repoRoot: root, warn: () => undefined },
        await loadPricingTable(root),
      );
      expect({ rejections: wp01?.rejections, other: usd(wp01?.otherCost ?? 0n) }).toEqual({
        rejections,
        other,
      });
    },
  );
});
