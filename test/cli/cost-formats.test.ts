import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

const ROOT = join(import.meta.dirname, "..", "..");
const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", name);
const cost = (...args: string[]) => ["agent", "telemetry", "cost", ...args];

const GROUP_BYS = ["agent", "model", "feature", "role", "wp", "agent,model", "feature,wp"];

/** An exact decimal dollar string as integer pico-dollars. */
function pico(usd: string): bigint {
  const [whole = "", fraction = ""] = usd.split(".");
  return BigInt(whole) * 10n ** 12n + BigInt(fraction.padEnd(12, "0"));
}
const sum = (values: readonly (string | number)[], parse: (v: string) => bigint = BigInt) =>
  values.reduce<bigint>((n, v) => n + parse(String(v)), 0n);

interface ReportRow {
  group: Record<string, string>;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  estimated_cost_usd: string;
  event_count: number;
  shared_event_count: number;
}
interface Report {
  group_by: string[];
  rows: ReportRow[];
  totals: Record<string, string | number>;
}

async function validator() {
  const schema = JSON.parse(await readFile(join(ROOT, "schemas", "cost-report.v1.json"), "utf8"));
  return new Ajv2020({ allErrors: true, strict: true }).compile(schema);
}

describe("cost --format json: the versioned report", () => {
  it("ships its schema in the package", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(pkg.files).toContain("schemas");
  });

  it.each(GROUP_BYS)(
    "-g %s validates against schemas/cost-report.v1.json and adds up",
    async (groupBy) => {
      const validate = await validator();
      const run = await runSpecKitty(cost("-g", groupBy, "--format", "json"), {
        cwd: await copyOfFixtureProject(),
      });
      expect([run.exitCode, run.stderr]).toEqual([0, ""]);
      const report = JSON.parse(run.stdout) as Report;
      expect(validate(report) ? [] : validate.errors).toEqual([]);
      const keys = groupBy.split(",");
      expect(report.group_by).toEqual(keys);
      for (const row of report.rows) expect(Object.keys(row.group)).toEqual(keys);
      // The totals are the rows' sums, exactly (events: each once, though shared between models).
      const { rows, totals } = report;
      expect({
        cost: sum(
          rows.map((r) => r.cost_usd),
          pico,
        ),
        estimated: sum(
          rows.map((r) => r.estimated_cost_usd),
          pico,
        ),
        input: sum(rows.map((r) => r.input_tokens)),
        output: sum(rows.map((r) => r.output_tokens)),
        events: sum(rows.map((r) => r.event_count - r.shared_event_count)),
      }).toEqual({
        cost: pico(String(totals.cost_usd)),
        estimated: pico(String(totals.estimated_cost_usd)),
        input: BigInt(totals.input_tokens ?? 0),
        output: BigInt(totals.output_tokens ?? 0),
        events: 25n,
      });
    },
  );

  it("pins the fixture's report, money exact ($39.64163, the table's $39.6416)", async () => {
    const run = await runSpecKitty(cost("-g", "agent,model", "--format", "json"), {
      cwd: await copyOfFixtureProject(),
    });
    await expect(run.stdout).toMatchFileSnapshot(snapshot("cost-format-json-agent-model.txt"));
  });

  it("echoes its filters and carries the warnings it printed", async () => {
    const root = await copyOfFixtureProject();
    const log = join(root, "kitty-specs", "043-telemetry-foundation", "execution.events.jsonl");
    await appendFile(log, "not json\n");
    const validate = await validator();
    const run = await runSpecKitty(
      cost(
        "--feature",
        "04*",
        "--since",
        "2026-02-16",
        "--until",
        "2026-02-16",
        "--format",
        "json",
      ),
      { cwd: root },
    );
    const report = JSON.parse(run.stdout);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.filters).toEqual({
      feature: "04*",
      since: "2026-02-16T00:00:00.000000Z",
      until: "2026-02-16T23:59:59.999999Z",
      origin: null,
    });
    expect(report.warnings).toEqual([
      { code: "MALFORMED_LINES", message: expect.stringContaining("043-telemetry-foundation") },
    ]);
    expect(run.stderr).toContain("warning: ");
  });

  it("prints an empty report, valid, when nothing matches (the message on stderr)", async () => {
    const validate = await validator();
    const run = await runSpecKitty(cost("--since", "2030-01-01", "--format", "json"), {
      cwd: await copyOfFixtureProject(),
    });
    const report = JSON.parse(run.stdout);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect([run.exitCode, run.stderr, report.rows, report.totals.cost_usd]).toEqual([
      0,
      "No execution events found.\n",
      [],
      "0.00",
    ]);
  });

  it("refuses --json with --format", async () => {
    const run = await runSpecKitty(cost("--json", "--format", "csv"), {
      cwd: await copyOfFixtureProject(),
    });
    expect([run.exitCode, run.stdout, run.stderr]).toEqual([
      1,
      "",
      "error: option '--json' cannot be used with option '--format <format>'\n",
    ]);
  });
});

describe("cost --format csv", () => {
  it.each(GROUP_BYS)(
    "-g %s opens with a CSV parser and sums to the JSON totals",
    async (groupBy) => {
      const root = await copyOfFixtureProject();
      const csv = await runSpecKitty(cost("-g", groupBy, "--format", "csv"), { cwd: root });
      const json = await runSpecKitty(cost("-g", groupBy, "--format", "json"), { cwd: root });
      const report = JSON.parse(json.stdout) as Report;
      const records = parse(csv.stdout, { columns: true, record_delimiter: "\r\n" }) as Record<
        string,
        string
      >[];
      expect(records.map((r) => groupBy.split(",").map((k) => r[k]))).toEqual(
        report.rows.map((r) => Object.values(r.group)),
      );
      const column = (name: string) => records.map((r) => r[name] ?? "");
      expect({
        cost: sum(column("cost_usd"), pico),
        estimated: sum(column("estimated_cost_usd"), pico),
        input: sum(column("input_tokens")),
        output: sum(column("output_tokens")),
      }).toEqual({
        cost: pico(String(report.totals.cost_usd)),
        estimated: pico(String(report.totals.estimated_cost_usd)),
        input: BigInt(report.totals.input_tokens ?? 0),
        output: BigInt(report.totals.output_tokens ?? 0),
      });
    },
  );

  it("quotes a value holding a comma, a quote or a line break (RFC 4180), and reads back exact", async () => {
    const root = await copyOfFixtureProject();
    const agent = 'acme, "the agent"\r\nv2';
    await emitExecutionEvent(
      join(root, "kitty-specs", "043-telemetry-foundation"),
      "043-telemetry-foundation",
      "WP01",
      agent,
      "implementer",
      { model: "m", inputTokens: 1, outputTokens: 1, costUsd: 1 },
    );
    const run = await runSpecKitty(cost("--format", "csv"), { cwd: root });
    expect(run.stdout).toContain('"acme, ""the agent""\r\nv2",1,1,');
    const records = parse(run.stdout, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.agent)).toContain(agent);
  });
});

describe("cost --format md", () => {
  it("prints a GitHub table with a total row and the notes", async () => {
    const run = await runSpecKitty(cost("-g", "agent,model", "--format", "md"), {
      cwd: await copyOfFixtureProject(),
    });
    await expect(run.stdout).toMatchFileSnapshot(snapshot("cost-format-md-agent-model.md"));
  });

  it("escapes pipes, markup and $ in names, so a cell stays one cell", async () => {
    const root = await copyOfFixtureProject();
    await emitExecutionEvent(
      join(root, "kitty-specs", "043-telemetry-foundation"),
      "043-telemetry-foundation",
      "WP01",
      "a|b *c* $x$",
      "implementer",
      { model: "m", inputTokens: 1, outputTokens: 1, costUsd: 100 },
    );
    const run = await runSpecKitty(cost("--format", "md"), { cwd: root });
    expect(run.stdout).toContain("| a\\|b \\*c\\* \\$x\\$ | 1 | 1 | 0 | 0 | \\$100.0000 | 1 |\n");
  });
});

describe("cost --json keeps the Python CLI's array", () => {
  it.each(GROUP_BYS)("-g %s, byte for byte", async (groupBy) => {
    const run = await runSpecKitty(cost("-g", groupBy, "--json"), {
      cwd: await copyOfFixtureProject(),
    });
    await expect(run.stdout).toMatchFileSnapshot(
      snapshot(`cost-json-python-${groupBy.replace(",", "-")}.txt`),
    );
  });
});

describe("events --json carries the cost the report counts", () => {
  it("adds cost_kind and estimated_cost_usd, cost_usd staying as recorded", async () => {
    const run = await runSpecKitty(["agent", "telemetry", "events", "--feature", "048", "--json"], {
      cwd: await copyOfFixtureProject(),
    });
    const events = JSON.parse(run.stdout) as Record<string, unknown>[];
    // 64,163 input tokens of claude-opus-4-6 at $5/M = $0.320815 (the table's ~$0.3208); the
    // codex events name no model: unpriced, nothing priced; the rest recorded no usage.
    expect(
      events.map((e) => [
        (e.payload as Record<string, unknown>).cost_usd,
        e.cost_kind,
        e.estimated_cost_usd,
      ]),
    ).toEqual([
      [null, "estimated", 0.320815],
      [null, "estimated", 0.320815],
      [null, "no-usage", null],
      [null, "no-usage", null],
      [null, "no-usage", null],
      [null, "no-usage", null],
      [null, "no-usage", null],
      [null, "unpriced", 0],
    ]);
    expect(run.stdout).toContain('"estimated_cost_usd": 0.0\n');
  });
});
