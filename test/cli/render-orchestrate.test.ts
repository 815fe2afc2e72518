import { join } from "node:path";
import { createColors } from "picocolors";
import { describe, expect, it } from "vitest";
import { renderSummary } from "../../src/cli/render-orchestrate.js";
import type { OrchestrationReport, WpSummary } from "../../src/orchestrator/orchestrate.js";
import type { PicoUsd } from "../../src/telemetry/money.js";

const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", "fit", name);
const plain = createColors(false);

/** A row with the figures of the orchestrate e2e run's summary (see orchestrate-summary.txt). */
function wp(
  wpId: string,
  outcome: WpSummary["outcome"],
  [attempts, seconds, input, cacheRead, cacheWrite, output, cost]: number[],
  unpricedInvocations = 0,
): WpSummary {
  return {
    wpId,
    title: `Work package ${wpId}`,
    outcome,
    attempts: attempts ?? 0,
    invocations: (attempts ?? 0) * 2,
    durationSeconds: seconds ?? 0,
    inputTokens: input ?? 0,
    cacheReadTokens: cacheRead ?? 0,
    cacheWriteTokens: cacheWrite ?? 0,
    outputTokens: output ?? 0,
    cost: BigInt(cost ?? 0) as PicoUsd,
    estimatedCost: 0n as PicoUsd,
    unpricedInvocations,
    reason: null,
  };
}

const REPORT: OrchestrationReport = {
  feature: "001-demo-feature",
  rows: [
    wp("WP01", "approved", [1, 42.3, 11_391, 6_912, 21_570, 31, 150_600_000_000]),
    wp("WP02", "approved", [2, 185.1, 25_628, 101_672, 61_475, 2_634, 540_400_000_000]),
    wp("WP03", "interrupted", [1, 3_725, 1_230_764, 12_006_912, 0, 191_000, 37_200_000_000], 1),
  ],
  unrecorded: 0,
  interrupted: null,
  budgetStopped: null,
};

describe("the orchestrate summary fits the terminal", () => {
  it.each([60, 80, 100, 160])("at %i columns", async (columns) => {
    const text = renderSummary(REPORT, plain, { width: columns });
    const lines = text.trimEnd().split("\n");
    expect(lines.filter((line) => [...line].length > columns)).toEqual([]);
    expect(lines.filter((line) => /^│ +│/.test(line))).toEqual([]);
    await expect(text).toMatchFileSnapshot(snapshot(`orchestrate-summary-${columns}.txt`));
  });

  it("is whole without a width, or with --wide", () => {
    const whole = renderSummary(REPORT, plain);
    expect([renderSummary(REPORT, plain, { width: 60, wide: true }), whole]).toEqual([
      whole,
      expect.stringContaining("│ WP    │ Outcome     │ Attempts │ Duration │     Input │"),
    ]);
  });
});
