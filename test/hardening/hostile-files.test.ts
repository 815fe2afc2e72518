import { execFileSync } from "node:child_process";
import { mkdir, open, readdir, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliChild } from "../support/cli-child.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";

// Failures 7, 8 and 9 of issue 10: files that lead outside the project, files that are not
// files, files too big or too deep to read naively.

const FEATURE = "043-telemetry-foundation";
const LOG = "execution.events.jsonl";
const SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI";
const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];

/** A copy of the fixture project and a folder outside it holding a secret and a valid log. */
async function projectAndOutside() {
  const root = await copyOfFixtureProject();
  const outside = await tempDir();
  const fixtureLog = await readFile(join(root, "kitty-specs", FEATURE, LOG), "utf8");
  await writeFile(join(outside, "secret.txt"), `${SECRET}\n`);
  await writeFile(join(outside, LOG), fixtureLog);
  return { root, outside, feature: join(root, "kitty-specs", FEATURE), fixtureLog };
}

const eventCount = async (root: string, ...args: string[]) => {
  const run = await runSpecKitty(telemetry("events", "--jsonl", ...args), { cwd: root });
  return run.stdout.split("\n").filter((l) => l.startsWith("{")).length;
};

describe("symlinks never lead outside the project (failure 7)", () => {
  it.each([
    ["cost --json", ["cost", "--json"]],
    ["events --jsonl", ["events", "--jsonl"]],
  ])("%s does not read a log symlinked outside, nor quote it", async (_name, args) => {
    const { root, outside, feature } = await projectAndOutside();
    await mkdir(join(root, "kitty-specs", "070-leak"));
    await symlink(join(outside, "secret.txt"), join(root, "kitty-specs", "070-leak", LOG));
    await writeFile(join(feature, LOG), `${SECRET}\n`, { flag: "a" });
    const run = await runSpecKitty(telemetry(...args), { cwd: root });
    expect({
      exitCode: run.exitCode,
      quotesSecret: run.stderr.includes("wJalr") || run.stdout.includes("wJalr"),
      refused: /070-leak\/execution\.events\.jsonl.*outside the project/.test(run.stderr),
    }).toEqual({ exitCode: 0, quotesSecret: false, refused: true });
  });

  it("reports do not count a log symlinked to an outside copy", async () => {
    const { root, outside } = await projectAndOutside();
    const before = await eventCount(root);
    await mkdir(join(root, "kitty-specs", "071-copy"));
    await symlink(join(outside, LOG), join(root, "kitty-specs", "071-copy", LOG));
    expect({ before, after: await eventCount(root) }).toEqual({ before: 25, after: 25 });
  });

  it("emit never appends to a log symlinked outside", async () => {
    const { root, outside } = await projectAndOutside();
    await writeFile(join(outside, "target"), "untouched\n");
    await mkdir(join(root, "kitty-specs", "072-x"));
    await symlink(join(outside, "target"), join(root, "kitty-specs", "072-x", LOG));
    const run = await runSpecKitty(telemetry("emit", "-f", "072-x", "-r", "planner"), {
      cwd: root,
    });
    expect({
      exitCode: run.exitCode,
      target: await readFile(join(outside, "target"), "utf8"),
      warned: run.stderr.includes("symlink"),
    }).toEqual({ exitCode: 0, target: "untouched\n", warned: true });
  });

  it("emit never writes through a feature folder symlinked outside", async () => {
    const { root, outside } = await projectAndOutside();
    const target = join(outside, "elsewhere");
    await mkdir(target);
    await symlink(target, join(root, "kitty-specs", "073-out"));
    const run = await runSpecKitty(telemetry("emit", "-f", "073-out", "-r", "planner"), {
      cwd: root,
    });
    expect({
      exitCode: run.exitCode,
      written: await readdir(target),
      warned: run.stderr.includes("outside the project"),
    }).toEqual({ exitCode: 0, written: [], warned: true });
  });

  it("emit ignores a clock file symlinked outside and leaves its target alone", async () => {
    const { root, outside, feature } = await projectAndOutside();
    const clock = join(outside, "clock.json");
    await writeFile(clock, '{"cli:WP01": 5000}');
    await rm(join(feature, ".telemetry-clock.json"));
    await symlink(clock, join(feature, ".telemetry-clock.json"));
    const run = await runSpecKitty(
      telemetry("emit", "-f", FEATURE, "-r", "planner", "--wp-id", "WP01", "--json"),
      { cwd: root },
    );
    expect({
      clock: JSON.parse(run.stdout).lamport_clock,
      target: await readFile(clock, "utf8"),
      quotes: run.stderr.includes("5000"),
    }).toEqual({ clock: 3, target: '{"cli:WP01": 5000}', quotes: false });
  });

  it("emit ignores an index symlinked outside", async () => {
    const { root, outside } = await projectAndOutside();
    const dir = join(root, "kitty-specs", "074-new");
    await mkdir(dir);
    const index = join(outside, "index.json");
    const forged = { version: 1, log_size: 0, head: "", tail: "", max_lamport_clock: 9999 };
    await writeFile(
      index,
      JSON.stringify({ ...forged, uuid_count: 0, ulids_from: null, ulids: [] }),
    );
    await symlink(index, join(dir, `.${LOG}.index.json`));
    const run = await runSpecKitty(telemetry("emit", "-f", "074-new", "-r", "planner", "--json"), {
      cwd: root,
    });
    expect(JSON.parse(run.stdout).lamport_clock).toBe(1);
  });

  it("a pricing override symlinked outside is not read", async () => {
    const { root, outside } = await projectAndOutside();
    const plain = await runSpecKitty(telemetry("cost", "--json"), { cwd: root });
    const prices = "models:\n  claude-sonnet-4.5: {input_per_1k: 900, output_per_1k: 900}\n";
    await writeFile(join(outside, "pricing.yaml"), prices);
    await symlink(join(outside, "pricing.yaml"), join(root, ".kittify", "pricing.yaml"));
    const run = await runSpecKitty(telemetry("cost", "--json"), { cwd: root });
    expect({
      same: run.stdout === plain.stdout,
      warned: /outside the project/.test(run.stderr),
    }).toEqual({ same: true, warned: true });
  });

  it("a report cache folder symlinked outside is not written", async () => {
    const { root, outside } = await projectAndOutside();
    await rm(join(root, ".kittify", "cache"), { recursive: true, force: true });
    // A clean clone's fixture has no .kittify (the cache is never committed).
    await mkdir(join(root, ".kittify"), { recursive: true });
    await symlink(outside, join(root, ".kittify", "cache"));
    const before = (await readdir(outside)).sort();
    const run = await runSpecKitty(telemetry("cost", "--json"), { cwd: root });
    expect({ exitCode: run.exitCode, after: (await readdir(outside)).sort() }).toEqual({
      exitCode: 0,
      after: before,
    });
  });

  it.each([
    ["not JSON", (_line: string) => SECRET],
    [
      "an event whose timestamp is not one",
      (line: string) => line.replace(/"timestamp": "[^"]*"/, `"timestamp": "${SECRET}"`),
    ],
    [
      "an event whose id is not one",
      (line: string) => line.replace(/"event_id": "[^"]*"/, `"event_id": "${SECRET.slice(0, 26)}"`),
    ],
  ])("a warning about %s describes the line, never quotes it", async (_name, hostile) => {
    const { root, feature, fixtureLog } = await projectAndOutside();
    const line = hostile(fixtureLog.split("\n")[0] as string);
    await writeFile(join(feature, LOG), `${line}\n`, { flag: "a" });
    const runs = await Promise.all([
      runSpecKitty(telemetry("cost"), { cwd: root }),
      runSpecKitty(telemetry("events"), { cwd: root }),
    ]);
    expect(
      runs.map((r) => [
        /AWS_SEC|wJalr/.test(r.stderr),
        /skipped 1 malformed line \(first at line 3: /.test(r.stderr),
      ]),
    ).toEqual([
      [false, true],
      [false, true],
    ]);
  });
});

describe("denial of service: regular files only, linear time, bounded memory (failure 8)", () => {
  it.each([
    ["cost", ["cost", "--json"]],
    ["events", ["events", "--jsonl"]],
  ])("a FIFO log does not hang %s", async (_name, args) => {
    const { root } = await projectAndOutside();
    const dir = join(root, "kitty-specs", "075-fifo");
    await mkdir(dir);
    execFileSync("mkfifo", [join(dir, LOG)]);
    const run = await runCliChild(telemetry(...args), { cwd: root, timeoutMs: 60_000 });
    expect({
      timedOut: run.timedOut,
      exitCode: run.exitCode,
      warned: /a FIFO/.test(run.stderr),
    }).toEqual({ timedOut: false, exitCode: 0, warned: true });
  });

  it("a log symlinked to /dev/zero is refused, not read forever", async () => {
    const { root } = await projectAndOutside();
    await mkdir(join(root, "kitty-specs", "076-zero"));
    await symlink("/dev/zero", join(root, "kitty-specs", "076-zero", LOG));
    const run = await runCliChild(telemetry("events", "--jsonl"), { cwd: root, timeoutMs: 60_000 });
    expect({
      timedOut: run.timedOut,
      exitCode: run.exitCode,
      lines: run.stdout.split("\n").length,
    }).toEqual({ timedOut: false, exitCode: 0, lines: 26 });
  });

  // 128 MiB without a newline: before the fix, 23 s and 620 MiB for events (quadratic copying).
  it.each([
    ["events", ["events", "--jsonl"]],
    ["cost", ["cost", "--json", "--group-by", "feature"]],
  ])(
    "a 128 MiB line is skipped as one malformed line by %s, in bounded memory",
    async (_n, args) => {
      const { root, feature } = await projectAndOutside();
      const log = await open(join(feature, LOG), "a");
      const block = Buffer.alloc(1 << 20, "x");
      for (let i = 0; i < 128; i++) await log.write(block);
      await log.close();
      const run = await runCliChild(telemetry(...args), { cwd: root, timeoutMs: 120_000 });
      expect({
        timedOut: run.timedOut,
        exitCode: run.exitCode,
        warning:
          /skipped 1 malformed line \(first at line 3: longer than the 16 MiB line limit\)/.test(
            run.stderr,
          ),
        underMemoryBound: run.maxRssMib < 400,
      }).toEqual({ timedOut: false, exitCode: 0, warning: true, underMemoryBound: true });
    },
  );

  it("a long line is skipped and the events after it are still read", async () => {
    const { root, feature, fixtureLog } = await projectAndOutside();
    await writeFile(join(feature, LOG), `${"y".repeat(20 << 20)}\n${fixtureLog}`);
    const run = await runSpecKitty(telemetry("events", "--jsonl", "--feature", FEATURE), {
      cwd: root,
    });
    expect({ out: run.stdout, warned: /longer than the 16 MiB/.test(run.stderr) }).toEqual({
      out: fixtureLog,
      warned: true,
    });
  });

  it("a sparse 512 MiB all-NUL log is read in bounded memory", async () => {
    const { root } = await projectAndOutside();
    const dir = join(root, "kitty-specs", "077-sparse");
    await mkdir(dir);
    await writeFile(join(dir, LOG), "");
    await truncate(join(dir, LOG), 512 << 20);
    const run = await runCliChild(telemetry("events", "--jsonl"), {
      cwd: root,
      timeoutMs: 120_000,
    });
    expect({
      timedOut: run.timedOut,
      exitCode: run.exitCode,
      events: run.stdout.split("\n").length - 1,
      underMemoryBound: run.maxRssMib < 400,
    }).toEqual({ timedOut: false, exitCode: 0, events: 25, underMemoryBound: true });
  });

  it("a pricing override over 1 MiB is refused with a warning; shipped prices apply", async () => {
    const { root } = await projectAndOutside();
    const plain = await runSpecKitty(telemetry("cost", "--json"), { cwd: root });
    const models = Array.from(
      { length: 20_000 },
      (_, i) => `  m-${i}: {input_per_1k: 0.001, output_per_1k: 0.002}\n`,
    );
    await writeFile(join(root, ".kittify", "pricing.yaml"), `models:\n${models.join("")}`);
    const run = await runSpecKitty(telemetry("cost", "--json"), { cwd: root });
    expect({
      same: run.stdout === plain.stdout,
      warned: /over the limit/.test(run.stderr),
    }).toEqual({ same: true, warned: true });
  });
});

describe("deep nesting (failure 9)", () => {
  const deepLine = (depth: number) => {
    const event = {
      aggregate_id: FEATURE,
      causation_id: null,
      event_id: "01KHJVJWDM0HGAGYGXJYKD1JQZ",
      event_type: "ExecutionEvent",
      lamport_clock: 9,
      node_id: "cli:WP09",
      payload: { agent: "claude", role: "implementer", success: true, nested: "NEST" },
      timestamp: "2026-02-16T09:12:58.036834+00:00",
    };
    return JSON.stringify(event).replace('"NEST"', `${"[".repeat(depth)}${"]".repeat(depth)}`);
  };

  it.each([
    ["events --json", ["events", "--json"]],
    ["events --jsonl", ["events", "--jsonl"]],
    ["events", ["events"]],
  ])("%s skips a line nested 3,000 deep as malformed and prints the rest", async (_n, args) => {
    const { root, feature } = await projectAndOutside();
    await writeFile(join(feature, LOG), `${deepLine(3000)}\n`, { flag: "a" });
    const run = await runSpecKitty(telemetry(...args), { cwd: root });
    expect({
      exitCode: run.exitCode,
      warned: /skipped 1 malformed line \(first at line 3: nested deeper than 64 levels\)/.test(
        run.stderr,
      ),
      printed: run.stdout.length > 0,
    }).toEqual({ exitCode: 0, warned: true, printed: true });
  });

  it("cost and events agree on the deep line and keep one nested 40 deep", async () => {
    const { root, feature } = await projectAndOutside();
    await writeFile(
      join(feature, LOG),
      `${deepLine(3000)}\n${deepLine(40).replace("QZ", "QY")}\n`,
      {
        flag: "a",
      },
    );
    const cost = await runSpecKitty(telemetry("cost", "--json", "--group-by", "feature"), {
      cwd: root,
    });
    const counted = JSON.parse(cost.stdout).find(
      (g: { group_key: string }) => g.group_key === FEATURE,
    ).event_count;
    expect({ counted, listed: await eventCount(root, "--feature", FEATURE) }).toEqual({
      counted: 3,
      listed: 3,
    });
  });
});
