import { describe, expect, it } from "vitest";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];

async function costJson(...args: string[]) {
  const run = await runSpecKitty(telemetry("cost", "--json", ...args), {
    cwd: await copyOfFixtureProject(),
  });
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}

describe("cost -g wp: a WP is its feature's", () => {
  it("keeps WP01 of 048 and of 053 apart without --feature (key FEATURE/WP)", async () => {
    const rows = await costJson("-g", "wp");
    const wp01 = rows.filter((r) => String(r.group_key).endsWith("/WP01"));
    expect(wp01.map((r) => [r.group_key, r.event_count])).toEqual([
      ["048-full-lifecycle-telemetry-events/WP01", 1],
      ["053-doctrine-governance-layer-refactor/WP01", 3],
    ]);
  });

  it.each<[string, string[]]>([
    ["one feature chosen: the WP alone, as the Python CLI keys it", ["--feature", "053"]],
    ["several features chosen: FEATURE/WP", ["--feature", "0[45]*"]],
  ])("%s", async (_, flags) => {
    const keys = (await costJson("-g", "wp", ...flags)).map((r) => r.group_key);
    const qualified = flags[1] !== "053";
    expect(keys).toContain(qualified ? "048-full-lifecycle-telemetry-events/WP01" : "WP01");
    // (N/A is a WP id of the fixture: a feature is recognised by its number.)
    expect(keys.every((k) => /^\d{3}-[^/]+\//.test(String(k)) === qualified)).toBe(true);
  });
});

describe("cost -g model: one row per model of the pricing table", () => {
  it("merges the spellings of a model under the table's id, and lists them", async () => {
    const rows = await costJson("-g", "model");
    expect(rows.map((r) => [r.group_key, r.event_count, r.total_cost_usd, r.model_ids])).toEqual([
      ["claude-sonnet-4-5", 2, 31.2, ["claude-sonnet-4.5"]],
      // 4 events as claude-opus-4-6 ($0.64163 estimated) and 1 as claude-opus-4.6 ($7.80 reported).
      ["claude-opus-4-6", 5, 8.44163, ["claude-opus-4-6", "claude-opus-4.6"]],
      ["unknown", 18, 0.0, []],
    ]);
  });

  it("keeps a model id the table does not know as it is", async () => {
    const cwd = await copyOfFixtureProject();
    await runSpecKitty(
      telemetry(
        ...["emit", "--feature", "043-telemetry-foundation", "--role", "reviewer"],
        ...["--model", "acme-coder-9", "--input-tokens", "10"],
      ),
      { cwd },
    );
    const run = await runSpecKitty(telemetry("cost", "-g", "model", "--json"), { cwd });
    const acme = (JSON.parse(run.stdout) as Record<string, unknown>[]).find(
      (r) => r.group_key === "acme-coder-9",
    );
    expect(acme).toMatchObject({
      event_count: 1,
      unpriced_models: ["acme-coder-9"],
      model_ids: ["acme-coder-9"],
    });
  });
});
