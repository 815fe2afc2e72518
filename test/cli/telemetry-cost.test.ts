import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";

const PYTHON_TABLE = join(import.meta.dirname, "..", "fixtures", "pricing", "python-table.yaml");

async function projectWithPythonTable(): Promise<string> {
  const root = await copyOfFixtureProject();
  await mkdir(join(root, ".kittify"), { recursive: true });
  await copyFile(PYTHON_TABLE, join(root, ".kittify", "pricing.yaml"));
  return root;
}

type PythonRow = [string, number, number, number, number, number];

/** The Python CLI's `cost --json` keys, in its order. */
const PYTHON_KEYS = [
  "group_key",
  "group_by",
  "total_input_tokens",
  "total_output_tokens",
  "total_cost_usd",
  "estimated_cost_usd",
  "event_count",
] as const;

/** Python rows from [key, input, output, cost, estimated, events]. */
function pythonRows(groupBy: string, rows: PythonRow[]) {
  return rows.map(([key, ...numbers]) =>
    Object.fromEntries(PYTHON_KEYS.map((k, i) => [k, [key, groupBy, ...numbers][i]])),
  );
}

const pythonKeysOnly = (rows: Record<string, unknown>[]) =>
  rows.map((row) => Object.fromEntries(PYTHON_KEYS.map((k) => [k, row[k]])));

// Worked out by hand from the 25 fixture lines. With the Python table every null-cost event is
// unpriced there (claude-opus-4-6 and null models are not in it), so costs are the reported
// ones: copilot's 15.6 x 2 (043) and 7.8 (045). Python would write `null` for the group of
// events whose model is null; we write "unknown". Python breaks cost ties by file glob order,
// which depends on the file system; we break them by key.
describe("cost --json matches the Python implementation on the fixture project", () => {
  it.each<[string, PythonRow[]]>([
    [
      "agent",
      [
        ["copilot", 76_330_500, 446_400, 39.0, 0.0, 3],
        ["claude", 128_326, 0, 0.0, 0.0, 5],
        ["codex_nonKitty", 174_000, 21_000, 0.0, 0.0, 14],
        ["unknown", 0, 0, 0.0, 0.0, 3],
      ],
    ],
    [
      "model",
      [
        ["claude-sonnet-4.5", 61_064_400, 357_120, 31.2, 0.0, 2],
        ["claude-opus-4.6", 15_266_100, 89_280, 7.8, 0.0, 1],
        ["claude-opus-4-6", 128_326, 0, 0.0, 0.0, 4],
        ["unknown", 174_000, 21_000, 0.0, 0.0, 18],
      ],
    ],
    [
      "feature",
      [
        ["043-telemetry-foundation", 61_064_400, 357_120, 31.2, 0.0, 2],
        ["045-constitution-doctrine-config-sync", 15_266_100, 89_280, 7.8, 0.0, 1],
        ["048-full-lifecycle-telemetry-events", 302_326, 21_000, 0.0, 0.0, 8],
        ["053-doctrine-governance-layer-refactor", 0, 0, 0.0, 0.0, 14],
      ],
    ],
    [
      "role",
      [
        ["implementer", 61_064_400, 357_120, 31.2, 0.0, 12],
        ["reviewer", 15_266_100, 89_280, 7.8, 0.0, 5],
        ["planner", 174_000, 21_000, 0.0, 0.0, 6],
        ["specifier", 128_326, 0, 0.0, 0.0, 2],
      ],
    ],
  ])("--group-by %s", async (groupBy, rows) => {
    const root = await projectWithPythonTable();
    const run = await runSpecKitty(
      ["agent", "telemetry", "cost", "--group-by", groupBy, "--json"],
      {
        cwd: root,
      },
    );
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(pythonKeysOnly(JSON.parse(run.stdout))).toEqual(pythonRows(groupBy, rows));
  });

  it("estimates a null cost as Python does: tokens x rate per 1k, for a model in the table", async () => {
    const root = await projectWithPythonTable();
    const dir = join(root, "kitty-specs", "048-full-lifecycle-telemetry-events");
    const emit = (model: string, input: number, output: number) =>
      emitExecutionEvent(
        dir,
        "048-full-lifecycle-telemetry-events",
        "WP03",
        "codex",
        "implementer",
        {
          model,
          inputTokens: input,
          outputTokens: output,
        },
      );
    await emit("gpt-4.1", 174_000, 21_000); // 174 x 0.002 + 21 x 0.008 = 0.348 + 0.168
    await emit("gemini-2.5-flash", 1_234_567, 89_012); // 0.18518505 + 0.311542 = 0.49672705
    const run = await runSpecKitty(
      ["agent", "telemetry", "cost", "--group-by", "model", "--json"],
      {
        cwd: root,
      },
    );
    const rows = pythonKeysOnly(JSON.parse(run.stdout));
    expect(rows.filter((r) => r.estimated_cost_usd !== 0)).toEqual(
      pythonRows("model", [
        ["gpt-4.1", 174_000, 21_000, 0.516, 0.516, 1],
        ["gemini-2.5-flash", 1_234_567, 89_012, 0.496727, 0.496727, 1],
      ]),
    );
  });

  it("prints Python's keys first, in Python's order, then ours", async () => {
    const run = await runSpecKitty(["agent", "telemetry", "cost", "--json"], {
      cwd: await projectWithPythonTable(),
    });
    expect(Object.keys(JSON.parse(run.stdout)[0])).toEqual([
      ...PYTHON_KEYS,
      "total_cache_read_tokens",
      "total_cache_write_tokens",
      "unpriced_event_count",
      "unpriced_models",
      "no_usage_event_count",
      "shared_event_count",
    ]);
  });
});

describe("cost with the shipped table", () => {
  it("groups claude-opus-4-6 and claude-opus-4.6 as one model, and marks an invented model unpriced", async () => {
    const root = await copyOfFixtureProject();
    const dir = join(root, "kitty-specs", "048-full-lifecycle-telemetry-events");
    for (const model of ["claude-opus-4.6", "claude-opus-4-6", "acme-coder-9"]) {
      await emitExecutionEvent(
        dir,
        "048-full-lifecycle-telemetry-events",
        "WP09",
        "claude",
        "reviewer",
        {
          model,
          inputTokens: 100_000,
          outputTokens: 10_000,
          warn: () => {},
        },
      );
    }
    const run = await runSpecKitty(
      ["agent", "telemetry", "cost", "--group-by", "wp,model", "--json"],
      { cwd: root },
    );
    // Grouped by feature and WP (no --feature), each model by the table's id.
    const wp09 = (JSON.parse(run.stdout) as Record<string, unknown>[]).filter((r) =>
      String(r.group_key).startsWith("048-full-lifecycle-telemetry-events/WP09,"),
    );
    // Opus 4.6: 100k x $5/M + 10k x $25/M = $0.75 each, in one row; the invented model is unpriced.
    expect(
      wp09.map((r) => [r.group_key, r.total_cost_usd, r.unpriced_models, r.model_ids]),
    ).toEqual([
      [
        "048-full-lifecycle-telemetry-events/WP09,claude-opus-4-6",
        1.5,
        [],
        ["claude-opus-4-6", "claude-opus-4.6"],
      ],
      [
        "048-full-lifecycle-telemetry-events/WP09,acme-coder-9",
        0.0,
        ["acme-coder-9"],
        ["acme-coder-9"],
      ],
    ]);
    const table = await runSpecKitty(["agent", "telemetry", "cost", "--group-by", "model"], {
      cwd: root,
    });
    expect(table.stdout).toMatch(/Unpriced: \d+ events .*acme-coder-9/);
  });
});

describe("cost --json sums tokens exactly past 2^53", () => {
  it.each([
    ["cold (no cache)", 1],
    ["warm (rows read back from the cache)", 2],
  ])("prints the exact sum of a maximal count and 2, %s", async (_, runs) => {
    const root = await tempDir();
    const dir = join(root, "kitty-specs", "001-big");
    await mkdir(dir, { recursive: true });
    const big = Number.MAX_SAFE_INTEGER; // 9007199254740991, the largest count a log may hold
    for (const [wp, inputTokens] of [
      ["WP01", big],
      ["WP02", 2],
    ] as const) {
      await emitExecutionEvent(dir, "001-big", wp, "claude", "implementer", {
        model: "claude-sonnet-4-5",
        inputTokens,
        outputTokens: 1,
        costUsd: 1,
      });
    }
    const cost = () => runSpecKitty(["agent", "telemetry", "cost", "--json"], { cwd: root });
    let run = await cost();
    for (let i = 1; i < runs; i++) run = await cost();
    // (2^53 - 1) + 2 = 9007199254740993; a double sum rounds it to 9007199254740992.
    expect(run.stdout).toContain('"total_input_tokens": 9007199254740993,');
    expect(run.stdout).toContain('"total_output_tokens": 2,');
  });
});
