import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProject } from "../../bench/generate.js";
import { syncToPostgres } from "../../src/team/pg/sync.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfProject, FIXTURE_PROJECT, tempDir } from "../support/temp-project.js";

const CLI_CHILD = join(import.meta.dirname, "..", "hardening", "fixtures", "cli-child.ts");
const DEMO = join(import.meta.dirname, "..", "..", "examples", "demo-project");
const GROUPINGS = [
  "agent",
  "model",
  "feature",
  "role",
  "wp",
  "day",
  "week",
  "month",
  "agent,model",
  "month,agent",
  "feature,wp",
  "source",
  "source,agent",
];

let server: TestPostgres;
let databases = 0;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** A fresh database on the test server. */
const freshStore = () => server.database(`store_${++databases}`);

async function rowCount(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
    return result.rows[0].n;
  } finally {
    await client.end();
  }
}

const cli = (cwd: string, ...args: string[]) =>
  runSpecKitty(["agent", "telemetry", ...args], { cwd });

/** The distinct events the file report counts (its own `--format json` totals). */
async function distinctEvents(root: string): Promise<number> {
  const report = JSON.parse((await cli(root, "cost", "--format", "json")).stdout);
  return report.totals.event_count;
}

async function expectSameReports(root: string, url: string, project: string) {
  for (const groupBy of GROUPINGS) {
    for (const form of [["--format", "json"], ["--json"], ["--format", "csv"]]) {
      const args = ["cost", "-g", groupBy, "--timezone", "Europe/Berlin", ...form];
      const files = await cli(root, ...args);
      const store = await cli(root, ...args, "--from", url, "--project", project);
      expect({ groupBy, form, out: store.stdout, code: store.exitCode }).toEqual({
        groupBy,
        form,
        out: files.stdout,
        code: files.exitCode,
      });
    }
  }
}

/** `events --from` prints what `events` prints, in every form. */
async function expectSameEvents(root: string, url: string, project: string) {
  const forms = [
    ["--json"],
    ["--jsonl"],
    [],
    ["--limit", "5"],
    ["--json", "--limit", "3", "--agent", "claude"],
    ["--jsonl", "--since", "2026-10-01", "--origin", "unknown,orchestrate"],
    ["--feature", "01", "--role", "reviewer"],
  ];
  for (const form of forms) {
    const files = await cli(root, "events", ...form);
    const store = await cli(root, "events", ...form, "--from", url, "--project", project);
    expect({ form, out: store.stdout, code: store.exitCode }).toEqual({
      form,
      out: files.stdout,
      code: files.exitCode,
    });
  }
}

describe("sync --to postgres:// and cost --from (a real PostgreSQL server)", () => {
  it.each([
    ["the demo project", DEMO],
    ["the spec-kitty fixture project", FIXTURE_PROJECT],
  ])(
    "%s: one row per distinct event, and every report equal to the file report",
    async (_name, project) => {
      const root = await copyOfProject(project);
      const clone = await copyOfProject(project);
      const url = await freshStore();
      // Two clones of the project sync at once.
      const runs = await Promise.all(
        [root, clone].map((dir) =>
          cli(dir, "sync", "--to", url, "--project", "acme/shop", "--json"),
        ),
      );
      expect(runs.map((r) => r.stderr)).toEqual(["", ""]);
      const results = runs.map((r) => JSON.parse(r.stdout));
      const events = await distinctEvents(root);
      expect(results.map((r) => [r.project, r.offered, r.alreadySynced])).toEqual([
        ["acme/shop", events, 0],
        ["acme/shop", events, 0],
      ]);
      expect(results[0].inserted + results[1].inserted).toBe(events);
      expect(await rowCount(url, "spec_kitty_events")).toBe(events);
      await expectSameReports(root, url, "acme/shop");
      await expectSameEvents(root, url, "acme/shop");
      const filtered = [
        "cost",
        "-g",
        "model",
        "--agent",
        "claude",
        "--since",
        "2026-10-01",
        "--format",
        "json",
      ];
      expect((await cli(root, ...filtered, "--from", url)).stdout).toBe(
        (await cli(root, ...filtered)).stdout,
      );
    },
    240_000,
  );

  it("two clones syncing a 100k-event project at once store each event once", async () => {
    const first = await tempDir();
    await generateProject(first, {
      events: Number(process.env.PG_TEST_EVENTS ?? 100_000),
      features: 12,
      seed: 7,
    });
    const second = await copyOfProject(first);
    const url = await freshStore();
    const warn = () => {};
    const results = await Promise.all(
      [first, second].map((repoRoot) => syncToPostgres({ repoRoot, url, project: "big", warn })),
    );
    const events = await distinctEvents(first);
    expect(results.map((r) => r.offered)).toEqual([events, events]);
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(events);
    expect(await rowCount(url, "spec_kitty_events")).toBe(events);
    // The generated logs hold malformed lines on purpose: the file report warns of them, the
    // store never saw them; everything else is the same.
    const withoutWarnings = (stdout: string) => ({ ...JSON.parse(stdout), warnings: [] });
    for (const groupBy of ["feature", "model", "week"]) {
      const args = ["cost", "-g", groupBy, "--format", "json"];
      expect(withoutWarnings((await cli(first, ...args, "--from", url)).stdout)).toEqual(
        withoutWarnings((await cli(first, ...args)).stdout),
      );
    }
  }, 600_000);

  it("a sync stopped between batches loses and duplicates nothing when run again", async () => {
    const root = await copyOfProject(DEMO);
    const url = await freshStore();
    const warn = () => {};
    const stop = new Error("killed");
    await expect(
      syncToPostgres({
        repoRoot: root,
        url,
        project: "p",
        warn,
        batchSize: 50,
        onProgress: (n) => {
          if (n >= 100) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(await rowCount(url, "spec_kitty_events")).toBe(100);
    const again = await syncToPostgres({ repoRoot: root, url, project: "p", warn, batchSize: 50 });
    const events = await distinctEvents(root);
    expect(again).toMatchObject({ alreadySynced: 100, inserted: events - 100 });
    expect(await rowCount(url, "spec_kitty_events")).toBe(events);
    // The state lost too (a fresh clone): offered again, stored once.
    const full = await syncToPostgres({ repoRoot: root, url, project: "p", warn, full: true });
    expect(full).toMatchObject({ offered: events, inserted: 0 });
  }, 240_000);

  it("a sync killed with SIGKILL mid-way loses and duplicates nothing when run again", async () => {
    const root = await tempDir();
    await generateProject(root, { events: 30_000, features: 6, seed: 3 });
    const url = await freshStore();
    const child = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        CLI_CHILD,
        "agent",
        "telemetry",
        "sync",
        "--to",
        url,
      ],
      { cwd: root, stdio: "ignore" },
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // Killed once its first batches are committed, most likely in the middle of another.
    while ((await rowCount(url, "spec_kitty_events").catch(() => 0)) < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGKILL");
    await exited;
    const partial = await rowCount(url, "spec_kitty_events");
    const again = await cli(root, "sync", "--to", url, "--json");
    const events = await distinctEvents(root);
    expect(partial).toBeLessThan(events);
    expect(JSON.parse(again.stdout).inserted).toBe(events - partial);
    expect(await rowCount(url, "spec_kitty_events")).toBe(events);
    expect(await rowCount(url, "spec_kitty_usage_parts")).toBeGreaterThanOrEqual(events);
  }, 300_000);

  it("cost --from with --check-budget is refused (budgets are the checkout's)", async () => {
    const root = await copyOfProject(DEMO);
    const run = await cli(root, "cost", "--from", server.url, "--check-budget");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/option '--from <url>' cannot be used with option '--check-budget'/);
  });

  it("a second sync with nothing new sends nothing", async () => {
    const root = await copyOfProject(DEMO);
    const url = await freshStore();
    await cli(root, "sync", "--to", url);
    const again = await cli(root, "sync", "--to", url, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ offered: 0, inserted: 0 });
  }, 120_000);

  it.each([
    [
      "a wrong URL",
      () => "mysql://x@localhost/db",
      /expected a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [
      "a refused connection",
      () => "postgres://spec:secret@127.0.0.1:1/telemetry",
      /cannot connect to postgres:\/\/spec:\*\*\*@127\.0\.0\.1:1\/telemetry: ECONNREFUSED/,
    ],
    [
      "a wrong password",
      () => server.url.replace("secret", "wrong"),
      /cannot connect to postgres:\/\/spec:\*\*\*@127\.0\.0\.1:\d+\/telemetry: .*password authentication failed/,
    ],
  ])(
    "%s is one clear line and exit 1",
    async (_name, url, message) => {
      const root = await copyOfProject(DEMO);
      for (const args of [
        ["sync", "--to", url()],
        ["cost", "--from", url()],
      ]) {
        const run = await cli(root, ...args);
        expect(run.exitCode).toBe(1);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).toMatch(message);
      }
    },
    120_000,
  );
});
