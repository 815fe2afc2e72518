import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, FIXTURE_PROJECT, tempDir } from "../support/temp-project.js";

const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", name);
const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];

/** stdout, then stderr and the exit code, as one text to pin in a snapshot. */
function transcript(run: { stdout: string; stderr: string; exitCode: number }): string {
  return `${run.stdout}--- stderr ---\n${run.stderr}--- exit ${run.exitCode} ---\n`;
}

describe("agent telemetry: outputs pinned as snapshots (NO_COLOR, TZ=UTC)", () => {
  it.each<[string, string[]]>([
    ["cost-by-agent.txt", ["cost"]],
    ["cost-by-model.txt", ["cost", "--group-by", "model"]],
    ["cost-by-agent-model.txt", ["cost", "--group-by", "agent,model", "--feature", "04*"]],
    ["cost-json-by-role.txt", ["cost", "--group-by", "role", "--json"]],
    ["cost-feature-no-match.txt", ["cost", "--feature", "999"]],
    ["cost-nothing-in-range.txt", ["cost", "--since", "2030-01-01"]],
    ["cost-nothing-in-range-json.txt", ["cost", "--since", "2030-01-01", "--json"]],
    ["cost-invalid-date.txt", ["cost", "--since", "last tuesday"]],
    ["cost-invalid-group-by.txt", ["cost", "--group-by", "vendor"]],
    ["events-table.txt", ["events", "--feature", "048"]],
    ["events-limit.txt", ["events", "--limit", "3"]],
    ["events-json.txt", ["events", "--feature", "043", "--json"]],
    ["events-filtered.txt", ["events", "--agent", "codex_nonKitty", "--role", "reviewer"]],
  ])("%s", async (file, args) => {
    // A copy: a report writes its cache into the project.
    const run = await runSpecKitty(telemetry(...args), { cwd: await copyOfFixtureProject() });
    await expect(transcript(run)).toMatchFileSnapshot(snapshot(file));
  });

  it.each<[string, string[]]>([
    ["help-telemetry.txt", ["--help"]],
    ["help-cost.txt", ["cost", "--help"]],
    ["help-events.txt", ["events", "--help"]],
    ["help-emit.txt", ["emit", "--help"]],
    ["help-dashboard.txt", ["dashboard", "--help"]],
    ["help-import.txt", ["import", "--help"]],
  ])("%s", async (file, args) => {
    const run = await runSpecKitty(telemetry(...args), { cwd: FIXTURE_PROJECT });
    await expect(transcript(run)).toMatchFileSnapshot(snapshot(file));
  });

  it("says so, with exit 1, outside a project", async () => {
    const run = await runSpecKitty(telemetry("cost"), { cwd: await tempDir() });
    expect(run).toEqual({
      stdout: "",
      stderr: expect.stringMatching(/^spec-kitty: not inside a spec-kitty project .*--repo DIR\n$/),
      exitCode: 1,
    });
  });

  it("finds the project from a folder inside it, and from --repo", async () => {
    const project = await copyOfFixtureProject();
    const inside = await runSpecKitty(telemetry("cost", "--json"), {
      cwd: join(project, "kitty-specs", "043-telemetry-foundation"),
    });
    const viaRepo = await runSpecKitty(telemetry("cost", "--json", "--repo", project), {
      cwd: await tempDir(),
    });
    expect([inside.exitCode, viaRepo.exitCode, inside.stdout]).toEqual([0, 0, viaRepo.stdout]);
  });

  it("prints `No execution events found.` for a project without logs", async () => {
    const root = await tempDir();
    await mkdir(join(root, "kitty-specs", "001-new"), { recursive: true });
    expect(await runSpecKitty(telemetry("cost"), { cwd: root })).toEqual({
      stdout: "No execution events found.\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it.each<[string, string[], string, string]>([
    ["events --jsonl", ["events", "--jsonl"], "", "No execution events found.\n"],
    ["events --json", ["events", "--json"], "[]\n", "No execution events found.\n"],
    ["events", ["events"], "No execution events found.\n", ""],
    [
      "events --jsonl, no feature",
      ["events", "--jsonl", "--feature", "999"],
      "",
      "No features matching '999' found.\n",
    ],
  ])(
    "%s with nothing to show: stdout stays parseable, the message goes to stderr",
    async (_, args, stdout, stderr) => {
      const root = await tempDir();
      await mkdir(join(root, "kitty-specs", "001-new"), { recursive: true });
      expect(await runSpecKitty(telemetry(...args), { cwd: root })).toEqual({
        stdout,
        stderr,
        exitCode: 0,
      });
    },
  );

  it("prints each event exactly as its line on disk with --jsonl", async () => {
    const run = await runSpecKitty(telemetry("events", "--feature", "053", "--jsonl"), {
      cwd: FIXTURE_PROJECT,
    });
    const onDisk = await readFile(
      join(
        FIXTURE_PROJECT,
        "kitty-specs",
        "053-doctrine-governance-layer-refactor",
        "execution.events.jsonl",
      ),
      "utf8",
    );
    // This log is already in time order, so the output is the file itself.
    expect(run.stdout).toBe(onDisk);
  });

  it("never follows a feature symlink out of kitty-specs/", async () => {
    const root = await copyOfFixtureProject();
    const outside = await copyOfFixtureProject();
    await symlink(
      join(outside, "kitty-specs", "043-telemetry-foundation"),
      join(root, "kitty-specs", "070-out"),
    );
    const run = await runSpecKitty(telemetry("cost", "--feature", "070"), { cwd: root });
    expect(run).toEqual({
      stdout: "No features matching '070' found.\n",
      stderr: expect.stringContaining(
        "070-out: ignored, a symlink that leads outside kitty-specs/",
      ),
      exitCode: 0,
    });
  });

  it("colours a terminal's table, and NO_COLOR turns it off", async () => {
    const project = await copyOfFixtureProject();
    const colour = await runSpecKitty(telemetry("cost"), {
      cwd: project,
      columns: 120,
      env: { NO_COLOR: undefined },
    });
    const plain = await runSpecKitty(telemetry("cost"), { cwd: project, columns: 120 });
    const ansi = "\u001b[";
    expect([colour.stdout.includes(ansi), plain.stdout.includes(ansi)]).toEqual([true, false]);
  });

  // Precedence: flag > NO_COLOR > FORCE_COLOR > TERM=dumb > terminal.
  it.each<[string, string[], Record<string, string | undefined>, boolean, boolean]>([
    ["a terminal", [], {}, true, true],
    ["a pipe", [], {}, false, false],
    ["TERM=dumb on a terminal", [], { TERM: "dumb" }, true, false],
    ["FORCE_COLOR=0 on a terminal", [], { FORCE_COLOR: "0" }, true, false],
    ["FORCE_COLOR=1 on a pipe", [], { FORCE_COLOR: "1" }, false, true],
    ["FORCE_COLOR=1 beats TERM=dumb", [], { FORCE_COLOR: "1", TERM: "dumb" }, true, true],
    ["NO_COLOR beats FORCE_COLOR=1", [], { NO_COLOR: "1", FORCE_COLOR: "1" }, true, false],
    ["an empty NO_COLOR is not set", [], { NO_COLOR: "" }, true, true],
    ["--color beats NO_COLOR on a pipe", ["--color"], { NO_COLOR: "1" }, false, true],
    ["--no-color beats FORCE_COLOR", ["--no-color"], { FORCE_COLOR: "1" }, true, false],
  ])("colour: %s", async (_, flags, env, terminal, coloured) => {
    const project = await copyOfFixtureProject();
    for (const command of ["cost", "events"]) {
      const run = await runSpecKitty(telemetry(command, ...flags), {
        cwd: project,
        columns: terminal ? 200 : undefined,
        env: { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: undefined, ...env },
      });
      expect([command, run.exitCode, run.stdout.includes("\u001b[")]).toEqual([
        command,
        0,
        coloured,
      ]);
    }
  });
});

describe("agent telemetry emit", () => {
  const emitArgs = [
    "emit",
    "--feature",
    "043-telemetry-foundation",
    "--role",
    "implementer",
    "--agent",
    "claude",
    "--model",
    "claude-sonnet-4-5-20250929",
    "--wp-id",
    "WP07",
    "--input-tokens",
    "12000",
    "--output-tokens",
    "3400",
    "--cache-read-tokens",
    "80000",
    "--cache-write-tokens",
    "2000",
    "--reasoning-tokens",
    "900",
    "--duration-ms",
    "95000",
  ];

  it("records an event that cost --json then shows", async () => {
    const root = await copyOfFixtureProject();
    const emitted = await runSpecKitty(telemetry(...emitArgs, "--json"), { cwd: root });
    // One feature chosen: WPs are that feature's, keyed as the Python CLI keys them.
    const report = await runSpecKitty(
      telemetry("cost", "--group-by", "wp", "--feature", "043", "--json"),
      { cwd: root },
    );
    const wp07 = (JSON.parse(report.stdout) as Record<string, unknown>[]).find(
      (r) => r.group_key === "WP07",
    );
    // Sonnet 4.5: 12,000 x $3/M + 3,400 x $15/M + 80,000 x $0.30/M + 2,000 x $3.75/M
    //           = 0.036 + 0.051 + 0.024 + 0.0075 = 0.1185, all estimated.
    expect({ emitted: JSON.parse(emitted.stdout), exit: emitted.exitCode, wp07 }).toEqual({
      emitted: {
        result: "success",
        feature: "043-telemetry-foundation",
        role: "implementer",
        agent: "claude",
        model: "claude-sonnet-4-5-20250929",
        event_id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        lamport_clock: 3,
      },
      exit: 0,
      wp07: {
        group_key: "WP07",
        group_by: "wp",
        total_input_tokens: 12_000,
        total_output_tokens: 3400,
        total_cost_usd: 0.1185,
        estimated_cost_usd: 0.1185,
        event_count: 1,
        total_cache_read_tokens: 80_000,
        total_cache_write_tokens: 2000,
        unpriced_event_count: 0,
        unpriced_models: [],
        no_usage_event_count: 0,
        shared_event_count: 0,
      },
    });
  });

  it("writes the Python CLI's defaults: agent unknown, wp N/A, success, duration 0", async () => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("emit", "-f", "099-new", "-r", "planner"), {
      cwd: root,
    });
    const line = JSON.parse(
      await readFile(join(root, "kitty-specs", "099-new", "execution.events.jsonl"), "utf8"),
    );
    expect({ out: run.stdout, payload: line.payload, node: line.node_id }).toEqual({
      out: "✓ Telemetry event emitted: planner for 099-new\n",
      node: "cli:N/A",
      payload: {
        agent: "unknown",
        cost_usd: null,
        duration_ms: 0,
        error: null,
        exit_code: null,
        input_tokens: null,
        model: null,
        output_tokens: null,
        role: "planner",
        source: "emit",
        success: true,
        wp_id: "N/A",
      },
    });
  });

  it.each([
    ["the beginning of a feature's name", "043-tele", "043-telemetry-foundation"],
    [
      "a feature's number with another name",
      "045-constitution",
      "045-constitution-doctrine-config-sync",
    ],
    ["a feature's number alone with a word", "048-x", "048-full-lifecycle-telemetry-events"],
  ])("refuses %s, naming the feature meant, and creates nothing", async (_, slug, meant) => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("emit", "-f", slug, "-r", "planner"), { cwd: root });
    expect({
      exit: run.exitCode,
      names: run.stderr.includes(meant),
      created: await readdir(join(root, "kitty-specs")).then((n) => n.includes(slug)),
    }).toEqual({ exit: 1, names: true, created: false });
  });

  it("records a failure with its error and exit code", async () => {
    const root = await copyOfFixtureProject();
    await runSpecKitty(
      telemetry(
        "emit",
        "-f",
        "099-new",
        "-r",
        "implementer",
        "--failure",
        "--error",
        "rate limited",
        "--exit-code",
        "2",
      ),
      { cwd: root },
    );
    const line = JSON.parse(
      await readFile(join(root, "kitty-specs", "099-new", "execution.events.jsonl"), "utf8"),
    );
    expect([line.payload.success, line.payload.error, line.payload.exit_code]).toEqual([
      false,
      "rate limited",
      2,
    ]);
  });

  it.each<[string, string[], RegExp]>([
    ["negative tokens", ["--input-tokens", "-5"], /--input-tokens.*'-5' is invalid/],
    ["fractional tokens", ["--output-tokens", "1.5"], /whole number/],
    ["an unknown role", ["--role", "tester"], /'tester' is invalid.*Allowed choices/s],
    ["a non-numeric cost", ["--cost-usd", "cheap"], /--cost-usd.*'cheap' is invalid/],
    ["a negative cost", ["--cost-usd", "-1"], /expected a number >= 0/],
    ["both outcomes", ["--success", "--failure"], /cannot be used with/],
    ["a feature path", ["--feature", "../x"], /expected a feature folder name/],
    ["a model usage without a model", ["--model-usage", "input=5"], /expected MODEL:input=N/],
    ["an unknown model usage key", ["--model-usage", "m:tokens=5"], /unknown key "tokens"/],
    ["1-hour writes above the writes", ["--model-usage", "m:cache-write-1h=2"], /1 hour/],
  ])("refuses %s with exit 1 and writes nothing", async (_name, extra, message) => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry(...emitArgs, ...extra), { cwd: root });
    const log = await readFile(
      join(root, "kitty-specs", "043-telemetry-foundation", "execution.events.jsonl"),
      "utf8",
    );
    expect({ exit: run.exitCode, stderr: run.stderr, lines: log.split("\n").length - 1 }).toEqual({
      exit: 1,
      stderr: expect.stringMatching(message),
      lines: 2,
    });
  });

  it("records each --model-usage as a model's share, the totals being their sums", async () => {
    const root = await tempDir();
    await mkdir(join(root, "kitty-specs", "001-x"), { recursive: true });
    const run = await runSpecKitty(
      telemetry(
        ...["emit", "-f", "001-x", "-r", "implementer", "--model", "claude-sonnet-4-5"],
        ...["--model-usage", "claude-sonnet-4-5:input=1200,output=345,cache-read=20000"],
        ...["--model-usage", "claude-haiku-4-5:cache-write=5000,cache-write-1h=1000,cost=0.02"],
        ...["--model-usage", "qwen3-coder:30b:input=7", "--untrusted-cost-usd", "0.001"],
      ),
      { cwd: root },
    );
    const log = join(root, "kitty-specs", "001-x", "execution.events.jsonl");
    const payload = JSON.parse(await readFile(log, "utf8")).payload;
    expect({
      exit: run.exitCode,
      models: payload.models.map((m: { model: string; cost_usd: number | null }) => [
        m.model,
        m.cost_usd,
      ]),
      totals: [payload.input_tokens, payload.cache_write_tokens, payload.cache_write_1h_tokens],
      untrusted: payload.untrusted_cost_usd,
      source: payload.source,
    }).toEqual({
      exit: 0,
      models: [
        ["claude-sonnet-4-5", null],
        ["claude-haiku-4-5", 0.02],
        ["qwen3-coder:30b", null],
      ],
      totals: [1207, 5000, 1000],
      untrusted: 0.001,
      source: "emit",
    });
  });

  it("warns and still exits 0 when the event cannot be written (fire-and-forget)", async () => {
    const root = await tempDir();
    await mkdir(join(root, "kitty-specs"));
    await writeFile(join(root, "kitty-specs", "001-blocked"), "a file where the folder should be");
    const run = await runSpecKitty(
      telemetry("emit", "-f", "001-blocked", "-r", "planner", "--json"),
      {
        cwd: root,
      },
    );
    expect({ ...run, stdout: JSON.parse(run.stdout) }).toEqual({
      stdout: { result: "error", error: expect.stringContaining("001-blocked") },
      stderr: expect.stringMatching(/^warning: .*001-blocked/),
      exitCode: 0,
    });
  });
});
