import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliChild } from "../support/cli-child.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

// Input attacks of issue 10 (failures 8 and 10): hostile --feature globs, feature names that
// emit would turn into folders, terminal escapes in logged names, and --error.

const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];
const FEATURE = "043-telemetry-foundation";
const LOG = "execution.events.jsonl";

describe("--feature globs", () => {
  // With picomatch these backtracked for over a minute on one long folder name (the issue's
  // `*a*a*a*a*ab` took 15 s here on a 200-character name).
  it.each(["*a*a*a*a*a*a*a*a*a*a*ab", "?*?*?*?*?*?*?*b"])(
    "%s matches in linear time",
    async (pattern) => {
      const root = await copyOfFixtureProject();
      await mkdir(join(root, "kitty-specs", "a".repeat(200)));
      const run = await runCliChild(telemetry("cost", "--feature", pattern), {
        cwd: root,
        timeoutMs: 60_000,
      });
      expect({ timedOut: run.timedOut, exitCode: run.exitCode, out: run.stdout }).toEqual({
        timedOut: false,
        exitCode: 0,
        out: `No features matching '${pattern}' found.\n`,
      });
    },
  );

  it("refuses a pattern longer than a folder name can be", async () => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("cost", "--feature", "*".repeat(256)), { cwd: root });
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 1,
      stderr: "spec-kitty: --feature takes at most 255 characters; got 256\n",
    });
  });

  it.each([
    ["043", 2],
    ["04*", 11],
    ["0[45]3*", 16],
    ["04?-*", 11],
    ["*doctrine*", 15],
  ])("%s still selects what it did (%i events)", async (pattern, count) => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("events", "--jsonl", "--feature", pattern), {
      cwd: root,
    });
    expect(run.stdout.split("\n").length - 1).toBe(count);
  });
});

describe("emit --feature names", () => {
  it.each([
    ["a newline", "099-a\nb"],
    ["an escape", "099-\u001b[31mred"],
    ["a glob", "*"],
    ["an option-like name", "-rf"],
    ["a space", "099-a b"],
    ["a bare prefix beside 043-x", "043"],
    ["upper case", "099-New"],
    ["a path", "../099-x"],
    ["a trailing dash", "099-x-"],
  ])("refuses %s before anything is written", async (_name, slug) => {
    const root = await copyOfFixtureProject();
    const before = await readdir(join(root, "kitty-specs"));
    const run = await runSpecKitty(telemetry("emit", `--feature=${slug}`, "-r", "planner"), {
      cwd: root,
    });
    expect({
      exitCode: run.exitCode,
      message: /of the form NNN-name/.test(run.stderr),
      folders: await readdir(join(root, "kitty-specs")),
    }).toEqual({ exitCode: 1, message: true, folders: before });
  });

  it("accepts spec-kitty's NNN-kebab-name", async () => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("emit", "-f", "099-new-thing-2", "-r", "planner"), {
      cwd: root,
    });
    expect({ exitCode: run.exitCode, out: run.stdout }).toEqual({
      exitCode: 0,
      out: "✓ Telemetry event emitted: planner for 099-new-thing-2\n",
    });
  });
});

describe("terminal escapes in logged names", () => {
  const hostile = {
    agent: "\u001b]0;pwned\u0007claude\u001b[2J",
    model: "gpt\u202e5-tset",
    wp_id: "WP\u009b31m01",
  };

  async function projectWithHostileEvent() {
    const root = await copyOfFixtureProject();
    const log = join(root, "kitty-specs", FEATURE, LOG);
    const line = (await readFile(log, "utf8")).split("\n")[0] as string;
    const event = JSON.parse(line);
    event.event_id = "01KHJVJWDM0HGAGYGXJYKD1JQZ";
    Object.assign(event.payload, hostile);
    await writeFile(log, `${JSON.stringify(event)}\n`, { flag: "a" });
    return root;
  }

  // Anything from C0/C1 (ESC, BEL, the one-byte CSI) or a bidi override reaching the terminal;
  // a newline ends a line and is fine.
  const rawControl = (text: string) =>
    [...text].some((c) => {
      const code = c.codePointAt(0) as number;
      return (
        (code < 0x20 && code !== 0x0a) ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x202a && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069)
      );
    });

  it.each([
    ["events", ["events"]],
    ["cost by agent", ["cost", "--group-by", "agent"]],
    ["cost by model", ["cost", "--group-by", "model"]],
    ["cost by wp", ["cost", "--group-by", "wp"]],
  ])("%s shows them as visible escapes", async (_name, args) => {
    const root = await projectWithHostileEvent();
    const run = await runSpecKitty(telemetry(...args), { cwd: root, columns: 200 });
    expect({
      raw: rawControl(run.stdout + run.stderr),
      shown: /\\x1b|\\u202e|\\x9b/.test(run.stdout),
    }).toEqual({ raw: false, shown: true });
  });

  it("--jsonl keeps the line exact", async () => {
    const root = await projectWithHostileEvent();
    const run = await runSpecKitty(telemetry("events", "--jsonl", "--feature", FEATURE), {
      cwd: root,
    });
    expect(run.stdout).toContain("\\u001b]0;pwned\\u0007claude\\u001b[2J");
  });
});

describe("emit --error", () => {
  it.each([
    ["--error alone", ["--error", "boom"], false],
    ["--error with --failure", ["--failure", "--error", "boom"], false],
    ["neither", [], true],
  ])("%s records success %s", async (_name, flags, success) => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(telemetry("emit", "-f", "099-x", "-r", "planner", ...flags), {
      cwd: root,
    });
    const line = await readFile(join(root, "kitty-specs", "099-x", LOG), "utf8");
    expect({ exitCode: run.exitCode, success: JSON.parse(line).payload.success }).toEqual({
      exitCode: 0,
      success,
    });
  });

  it("refuses --success with --error, writing nothing", async () => {
    const root = await copyOfFixtureProject();
    const run = await runSpecKitty(
      telemetry("emit", "-f", "099-x", "-r", "planner", "--success", "--error", "boom"),
      { cwd: root },
    );
    expect({
      exitCode: run.exitCode,
      folders: (await readdir(join(root, "kitty-specs"))).includes("099-x"),
    }).toEqual({ exitCode: 1, folders: false });
  });
});
