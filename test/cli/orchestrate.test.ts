import { execFileSync } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FakeRule, type FakeStep, installFakeAgents } from "../support/fake-agents.js";
import { runTsChild, stillRunning } from "../support/processes.js";
import { runSpecKitty } from "../support/run-cli.js";
import { openToOthers } from "../support/run-worker.js";
import { tempDir } from "../support/temp-project.js";

const FEATURE = "001-demo";
const REPO = join(import.meta.dirname, "..", "..");
const HELP = join(REPO, "test", "fixtures", "agent-help");

/** A project with WP01, WP02 (after WP01) and WP03. */
async function project(
  packages: readonly (readonly [string, string, readonly string[]])[] = [
    ["WP01", "Data model", []],
    ["WP02", "API", ["WP01"]],
    ["WP03", "Docs", []],
  ],
) {
  const root = await tempDir();
  const tasks = join(root, "kitty-specs", FEATURE, "tasks");
  await mkdir(tasks, { recursive: true });
  for (const [id, title, deps] of packages) {
    await writeFile(
      join(tasks, `${id}-${title.toLowerCase().replace(/ /g, "-")}.md`),
      `---\nwork_package_id: ${id}\ntitle: ${title}\ndependencies: [${deps.join(", ")}]\n---\n# ${title}\n\nBuild the ${title.toLowerCase()}.\n`,
    );
  }
  return root;
}

const events = async (root: string) =>
  (
    await readFile(join(root, "kitty-specs", FEATURE, "execution.events.jsonl"), "utf8").catch(
      () => "",
    )
  )
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { payload: Record<string, unknown> });

const codexSays = (text: string): FakeStep => ({
  fixture: "codex/exec-json-success-pong.v0.149.0.jsonl",
  replace: ["PONG", text],
});

// WP01: claude implements, codex approves. WP02: rejected once, then approved. WP03: claude
// fails (exit 1 with its 401 result), the fallback gemini implements, codex approves.
const SCENARIO: readonly FakeRule[] = [
  {
    agent: "claude",
    match: ["Implement work package WP01"],
    steps: [{ fixture: "claude/stream-json-basic.v2.1.7.jsonl" }],
  },
  {
    agent: "claude",
    match: ["Implement work package WP02"],
    steps: [
      { fixture: "claude/json-result-success.v2.1.4.json" },
      { fixture: "claude/stream-json-two-models-excerpt.v2.0.76.jsonl" },
    ],
  },
  {
    agent: "claude",
    match: ["Implement work package WP03"],
    steps: [{ fixture: "claude/json-result-api-error-401.v2.1.234.json", exit: 1 }],
  },
  {
    agent: "gemini",
    match: ["Implement work package WP03"],
    steps: [{ fixture: "gemini/json-two-models.v0.11.0.json" }],
  },
  {
    agent: "codex",
    match: ["Review", "WP02"],
    steps: [
      codexSays("Missing tests.\nVERDICT: REJECTED\nAdd tests for the API."),
      codexSays("VERDICT: APPROVED"),
    ],
  },
  { agent: "codex", match: ["Review"], steps: [codexSays("Looks good.\n\nVERDICT: APPROVED")] },
];
const SCENARIO_ARGS = [
  "orchestrate",
  "--feature",
  "001",
  "--reviewer",
  "codex",
  "--fallback",
  "gemini",
  "--concurrency",
  "2",
  // Codex names no model in its output: the one asked for is recorded, so it can be priced.
  "--reviewer-model",
  "gpt-5-codex",
];

/** Durations vary from run to run; their width does not (all under 10 s here). */
const maskDurations = (text: string) => text.replace(/\b\d\.\ds\b/g, "#.#s");

/** The rows of a rendered table, as trimmed cells. */
const tableRows = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("│"))
    .map((l) =>
      l
        .split("│")
        .slice(1, -1)
        .map((c) => c.trim()),
    );

describe("spec-kitty orchestrate", () => {
  it("shows what each invocation changed in a git work tree", async () => {
    const root = await project([["WP01", "Data model", []]]);
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        cwd: root,
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "specs");
    // The fake agents keep their books outside the work tree, as real ones do.
    const fakes = await installFakeAgents(await tempDir(), [
      {
        agent: "claude",
        match: ["Implement work package WP01"],
        steps: [{ fixture: "claude/stream-json-basic.v2.1.7.jsonl", write: "model.ts" }],
      },
      { agent: "codex", match: ["Review"], steps: [codexSays("VERDICT: APPROVED")] },
    ]);
    const run = await runSpecKitty([...SCENARIO_ARGS.slice(0, 5)], { cwd: root, env: fakes.env });
    const finished = run.stderr
      .split("\n")
      .filter((l) => / (implementer|reviewer) \w+ ok /.test(l));
    expect(finished.map((l) => l.replace(/ in .*\(/, " ("))).toEqual([
      expect.stringMatching(/^WP01 implementer claude ok \(.*, 1 file changed, 0 commits\)$/),
      // The reviewer changed nothing: no changes part at all.
      expect.stringMatching(/^WP01 reviewer codex ok \([\d,]+ in \/ [\d,]+ out\)$/),
    ]);
  });

  it("runs 3 work packages and records exactly one event per invocation", async () => {
    const root = await project();
    const fakes = await installFakeAgents(root, SCENARIO);
    const run = await runSpecKitty(SCENARIO_ARGS, { cwd: root, env: fakes.env });
    const calls = await fakes.calls();
    const log = await events(root);
    const summary = (e: { payload: Record<string, unknown> }): Record<string, unknown> => {
      const { duration_ms, session_id, ...rest } = e.payload;
      return { ...rest, duration_ms: typeof duration_ms === "number" && duration_ms > 0 };
    };
    const order = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.wp_id).localeCompare(String(b.wp_id));
    expect({ exitCode: run.exitCode, calls: calls.length, events: log.length }).toEqual({
      exitCode: 0,
      calls: 9,
      events: 9,
    });
    const base = {
      cost_usd: null,
      duration_ms: true,
      error: null,
      exit_code: 0,
      model: null,
      source: "orchestrate",
      success: true,
    };
    const codexReview = {
      ...base,
      wp_id: "",
      agent: "codex",
      role: "reviewer",
      model: "gpt-5-codex",
      input_tokens: 11381,
      cache_read_tokens: 6912,
      cache_write_tokens: 0,
      output_tokens: 6,
      reasoning_tokens: 0,
    };
    const opus = "claude-opus-4-5-20251101";
    // Per work package in emission order (the work packages themselves ran in parallel).
    expect(log.map(summary).toSorted(order)).toEqual([
      {
        ...base,
        wp_id: "WP01",
        agent: "claude",
        role: "implementer",
        model: opus,
        input_tokens: 10,
        cache_read_tokens: 0,
        cache_write_tokens: 21570,
        output_tokens: 25,
        cost_usd: 0.1354875,
        cost_source: "reported",
      },
      { ...codexReview, wp_id: "WP01" },
      {
        ...base,
        wp_id: "WP02",
        agent: "claude",
        role: "implementer",
        model: opus,
        input_tokens: 38,
        cache_read_tokens: 28775,
        cache_write_tokens: 31159,
        output_tokens: 765,
        cost_usd: 0.24722425,
        cost_source: "reported",
      },
      { ...codexReview, wp_id: "WP02" },
      {
        ...base,
        wp_id: "WP02",
        agent: "claude",
        role: "implementer",
        model: opus,
        input_tokens: 2828,
        cache_read_tokens: 59073,
        cache_write_tokens: 30316,
        output_tokens: 1857,
        cost_usd: 0.26288449999999997,
        cost_source: "reported",
        // A Haiku helper beside the main model: each keeps its own tokens and reported cost.
        models: [
          {
            model: "claude-haiku-4-5-20251001",
            input_tokens: 2823,
            output_tokens: 270,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: 0.004173,
          },
          {
            model: opus,
            input_tokens: 5,
            output_tokens: 1587,
            cache_read_tokens: 59073,
            cache_write_tokens: 30316,
            cache_write_1h_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: 0.2587115,
          },
        ],
      },
      { ...codexReview, wp_id: "WP02" },
      {
        ...base,
        wp_id: "WP03",
        agent: "claude",
        role: "implementer",
        input_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 0,
        cost_usd: 0,
        cost_source: "reported",
        success: false,
        exit_code: 1,
        error: "Failed to authenticate. API Error: 401 API key is invalid.",
      },
      {
        ...base,
        wp_id: "WP03",
        agent: "gemini",
        role: "implementer",
        model: "gemini-2.5-pro",
        input_tokens: 19383,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 185,
        reasoning_tokens: 158,
        // The router's call is a second model.
        models: [
          {
            model: "gemini-2.5-pro",
            input_tokens: 15526,
            output_tokens: 133,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            reasoning_tokens: 113,
            cost_usd: null,
          },
          {
            model: "gemini-2.5-flash",
            input_tokens: 3857,
            output_tokens: 52,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            reasoning_tokens: 45,
            cost_usd: null,
          },
        ],
      },
      { ...codexReview, wp_id: "WP03" },
    ]);
    // The retry got the reviewer's feedback first; WP02 started only after WP01 was approved.
    const wp02 = calls.filter((c) => c.agent === "claude" && c.prompt.includes("WP02"));
    expect(wp02.map((c) => c.prompt.slice(0, c.prompt.indexOf("Implement work package")))).toEqual([
      "",
      "A reviewer rejected the previous attempt at WP02. Address this feedback first:\n\nAdd tests for the API.\n\n---\n\n",
    ]);
    expect(
      calls.findIndex((c) => c.prompt.includes("Implement work package WP02")),
    ).toBeGreaterThan(
      calls.findIndex((c) => c.prompt.includes("Review the implementation of work package WP01")),
    );
    await expect(maskDurations(run.stdout)).toMatchFileSnapshot(
      "__snapshots__/orchestrate-summary.txt",
    );
  });

  it("the summary table agrees with `agent telemetry cost --group-by wp`", async () => {
    const root = await project();
    const fakes = await installFakeAgents(root, SCENARIO);
    const run = await runSpecKitty(SCENARIO_ARGS, { cwd: root, env: fakes.env });
    const cost = await runSpecKitty(
      ["agent", "telemetry", "cost", "--feature", FEATURE, "--group-by", "wp", "--json"],
      { cwd: root },
    );
    const groups = JSON.parse(cost.stdout) as Record<string, number | string>[];
    const fromCost = groups
      .map((g) => [
        String(g.group_key),
        Number(g.total_input_tokens).toLocaleString("en-US"),
        Number(g.total_cache_read_tokens).toLocaleString("en-US"),
        Number(g.total_cache_write_tokens).toLocaleString("en-US"),
        Number(g.total_output_tokens).toLocaleString("en-US"),
        Number(g.total_cost_usd).toFixed(4),
      ])
      .toSorted(([a], [b]) => String(a).localeCompare(String(b)));
    const table = tableRows(run.stdout)
      .slice(1, 4)
      .map(([wp, , , , input, read, write, output, usd]) => [
        wp,
        input,
        read,
        write,
        output,
        usd?.replace("*", ""),
      ]);
    expect({ exitCode: cost.exitCode, table }).toEqual({ exitCode: 0, table: fromCost });
  });

  it("started again, skips the work packages already approved", async () => {
    const root = await project();
    const fakes = await installFakeAgents(root, SCENARIO);
    await runSpecKitty(SCENARIO_ARGS, { cwd: root, env: fakes.env });
    const again = await runSpecKitty(SCENARIO_ARGS, { cwd: root, env: fakes.env });
    expect({
      exitCode: again.exitCode,
      calls: (await fakes.calls()).length,
      events: (await events(root)).length,
      outcomes: tableRows(again.stdout)
        .slice(1, 4)
        .map((r) => r[1]),
    }).toEqual({ exitCode: 0, calls: 9, events: 9, outcomes: ["skipped", "skipped", "skipped"] });
  });

  // Claude Code would exit 1 at once as root without IS_SANDBOX=1 (test/e2e has the real refusal).
  it.runIf(process.getuid?.() === 0)(
    "as root, refuses to start a Claude implementer without IS_SANDBOX=1: exit 1, nothing run",
    async () => {
      const root = await project();
      const fakes = await installFakeAgents(root, SCENARIO);
      const run = await runSpecKitty(SCENARIO_ARGS, {
        cwd: root,
        env: { ...fakes.env, IS_SANDBOX: "" },
      });
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(
        /^spec-kitty: Claude Code refuses to implement as root .*run spec-kitty as a normal user, or, .* set IS_SANDBOX=1\n$/,
      );
      expect(await fakes.calls()).toEqual([]);
      expect(await events(root)).toEqual([]);
    },
  );

  it("kills an agent that hangs past the timeout with its grandchild, and records the failure", async () => {
    const root = await project([["WP01", "Data model", []]]);
    const fakes = await installFakeAgents(root, [
      {
        agent: "claude",
        match: ["WP01"],
        steps: [
          {
            fixture: "claude/stream-json-assistant-line.v2.1.4.json",
            hang: true,
            grandchild: true,
          },
        ],
      },
    ]);
    const run = await runSpecKitty(["orchestrate", "--feature", FEATURE, "--timeout", "1"], {
      cwd: root,
      env: fakes.env,
    });
    const [call] = await fakes.calls();
    const [event] = await events(root);
    expect({
      exitCode: run.exitCode,
      stderr: run.stderr.split("\n").at(-2),
      grandchildAlive: await stillRunning(call?.grandchild ?? 0),
      agentAlive: await stillRunning(call?.pid ?? 0),
      event: { ...event?.payload, duration_ms: Number(event?.payload.duration_ms) >= 1000 },
    }).toEqual({
      exitCode: 1,
      stderr: "spec-kitty: 1 of 1 work packages not approved: WP01 failed",
      grandchildAlive: false,
      agentAlive: false,
      // What it streamed before it hung was billed: it is recorded with the failure.
      event: {
        wp_id: "WP01",
        agent: "claude",
        role: "implementer",
        model: "claude-opus-4-5-20251101",
        input_tokens: 10,
        cache_read_tokens: 17254,
        cache_write_tokens: 3556,
        output_tokens: 4,
        cost_usd: null,
        duration_ms: true,
        success: false,
        exit_code: null,
        error: "timed out after 1s; the agent was killed",
        session_id: "40e7b02d-c0f9-4876-9010-f514d4eb0603",
        source: "orchestrate",
      },
    });
  });

  it.each([
    [
      "a dependency cycle",
      [
        ["WP01", "A", ["WP02"]],
        ["WP02", "B", ["WP01"]],
      ],
      [],
      "dependency cycle: WP01 -> WP02 -> WP01",
    ],
    [
      "a dependency without a prompt file",
      [["WP01", "A", ["WP07"]]],
      [],
      "WP01 depends on WP07, which has no prompt file (tasks/WP07-*.md)",
    ],
    [
      "a selected work package without a prompt file",
      [["WP01", "A", []]],
      ["--wp", "WP01,WP09"],
      "no prompt file for WP09 in kitty-specs/001-demo/tasks/",
    ],
    [
      "an agent that is not installed",
      [["WP01", "A", []]],
      ["--fallback", "cursor"],
      "cursor is not installed: cursor-agent is not on PATH",
    ],
  ] as const)("refuses %s before anything runs", async (_name, packages, flags, message) => {
    const root = await project(packages);
    const fakes = await installFakeAgents(root, []);
    // Every fake agent but cursor-agent is on PATH.
    const env = {
      ...fakes.env,
      PATH: fakes.env.PATH.replace(/^[^:]*:/, `${await cursorlessBin(root)}:`),
    };
    const run = await runSpecKitty(["orchestrate", "--feature", FEATURE, ...flags], {
      cwd: root,
      env,
    });
    expect({
      ...run,
      calls: (await fakes.calls()).length,
      events: (await events(root)).length,
    }).toEqual({
      stdout: "",
      stderr: `spec-kitty: ${message}\n`,
      exitCode: 1,
      calls: 0,
      events: 0,
    });
  });

  it("prints its help with examples", async () => {
    const run = await runSpecKitty(["orchestrate", "--help"]);
    await expect(run.stdout).toMatchFileSnapshot("__snapshots__/orchestrate-help.txt");
  });
});

/** A bin folder with every fake agent except cursor-agent. */
async function cursorlessBin(root: string): Promise<string> {
  const bin = join(root, "bin-no-cursor");
  await mkdir(bin);
  for (const name of ["claude", "codex", "gemini", "opencode", "copilot"]) {
    await writeFile(join(bin, name), await readFile(join(root, "bin", name)));
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}

// The recorded --help of each CLI (test/fixtures/agent-help/SOURCES.md has the versions).
const HELP_FILES = {
  claude: "claude-2.1.197.help.txt",
  codex: "codex-0.169.0-exec.help.txt",
  gemini: "gemini-0.61.0.help.txt",
  opencode: "opencode-1.18.33-run.help.txt",
  copilot: "copilot-1.0.102.help.txt",
  cursor: "cursor-agent-docs.txt",
} as const;

describe("spec-kitty orchestrate --dry-run", () => {
  it.each(
    Object.keys(HELP_FILES).flatMap((agent) => [
      [agent, "implementer"],
      [agent, "reviewer"],
    ]) as [keyof typeof HELP_FILES, string][],
  )(
    "every flag of the %s %s command line is in that CLI's recorded --help",
    async (agent, role) => {
      const root = await project([["WP01", "A", []]]);
      const run = await runSpecKitty(
        [
          "orchestrate",
          "--feature",
          FEATURE,
          "--dry-run",
          `--${role}`,
          agent,
          `--${role}-model`,
          "some-model",
        ],
        { cwd: root },
      );
      const line = run.stdout.split("\n").find((l) => l.trimStart().startsWith(`${role}:`)) ?? "";
      const flags = line.split(/\s+/).filter((w) => w.startsWith("-"));
      const help = await readFile(join(HELP, HELP_FILES[agent]), "utf8");
      const inHelp = (flag: string) =>
        new RegExp(`(^|[\\s,(])${flag}([\\s,=<\\[)]|$)`, "m").test(help);
      expect({
        exitCode: run.exitCode,
        flags: flags.length > 1,
        missing: flags.filter((f) => !inHelp(f)),
      }).toEqual({
        exitCode: 0,
        flags: true,
        missing: [],
      });
    },
  );

  it("prints the exact command lines per work package and runs nothing", async () => {
    const root = await project();
    const fakes = await installFakeAgents(root, []);
    const run = await runSpecKitty(
      [
        "orchestrate",
        "--feature",
        FEATURE,
        "--dry-run",
        "--reviewer",
        "codex",
        "--fallback",
        "opencode",
      ],
      { cwd: root, env: fakes.env },
    );
    expect({
      calls: (await fakes.calls()).length,
      stderr: run.stderr,
      exitCode: run.exitCode,
    }).toEqual({ calls: 0, stderr: "", exitCode: 0 });
    await expect(run.stdout).toMatchFileSnapshot("__snapshots__/orchestrate-dry-run.txt");
  });
});

describe("spec-kitty orchestrate with an unwritable feature folder", () => {
  it("completes the run and reports the emission warning once", async () => {
    const root = await project([
      ["WP01", "A", []],
      ["WP02", "B", ["WP01"]],
    ]);
    const fakes = await installFakeAgents(root, [
      {
        agent: "claude",
        match: ["Implement"],
        steps: [{ fixture: "claude/stream-json-basic.v2.1.7.jsonl" }],
      },
      {
        agent: "claude",
        match: ["Review"],
        steps: [
          { fixture: "claude/stream-json-basic.v2.1.7.jsonl", replace: ["4", "VERDICT: APPROVED"] },
        ],
      },
    ]);
    await mkdir(join(root, ".kittify"), { recursive: true });
    await openToOthers(root, join(root, ".kittify"), join(root, "fake-agent-state"));
    await chmod(join(root, ".kittify"), 0o777);
    await chmod(join(root, "fake-agent-state"), 0o777);
    await chmod(join(root, "kitty-specs", FEATURE), 0o555);
    const run = await runAsNobody(["orchestrate", "--feature", FEATURE, "--repo", root], fakes.env);
    const warnings = run.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    expect({
      exitCode: run.exitCode,
      warnings: warnings.length,
      warning: warnings[0],
      calls: (await fakes.calls()).length,
      outcomes: tableRows(run.stdout)
        .slice(1, 3)
        .map((r) => r[1]),
      footer: run.stdout.includes("4 invocation(s) could not be recorded in the event log."),
    }).toEqual({
      exitCode: 0,
      warnings: 1,
      warning: expect.stringMatching(
        /^warning: telemetry: could not record the implementer run of claude on 001-demo\/WP01: .*(EACCES|permission)/i,
      ),
      calls: 4,
      outcomes: ["approved", "approved"],
      footer: true,
    });
  });
});

/** Runs the CLI from its sources in a child process as `nobody` (root ignores permissions). */
function runAsNobody(args: readonly string[], env: Record<string, string>) {
  return runTsChild(join(REPO, "src", "cli", "main.ts"), args, {
    cwd: REPO,
    env: { ...env, HOME: "/tmp", NO_COLOR: "1", TZ: "UTC" },
    unprivileged: true,
  });
}
