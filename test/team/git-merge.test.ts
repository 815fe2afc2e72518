import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { readEventLine } from "../../src/telemetry/event-line.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfProject, tempDir } from "../support/temp-project.js";

const FEATURE = "043-telemetry-foundation";
// git starts the merge driver as a user's shell would start spec-kitty: here, the source entry.
const SELF = [
  process.execPath,
  "--import",
  import.meta.resolve("tsx"),
  join(import.meta.dirname, "..", "..", "src", "cli", "main.ts"),
];

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A git repository with one feature, its first events committed on `main`. */
async function repository(options: { init: boolean }): Promise<string> {
  const root = await tempDir();
  git(root, "init", "-q", "-b", "main");
  git(root, "config", "user.email", "test@example.com");
  git(root, "config", "user.name", "test");
  await mkdir(join(root, "kitty-specs", FEATURE), { recursive: true });
  await emitMany(root, "WP00", 3);
  if (options.init) {
    const run = await runSpecKitty(["agent", "telemetry", "init"], {
      cwd: root,
      selfCommand: SELF,
    });
    expect(run).toMatchObject({ exitCode: 0, stderr: "" });
  }
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "start");
  return root;
}

/** `count` events of one WP, emitted at once (as parallel agents do), then committed. */
async function emitMany(root: string, wpId: string, count: number): Promise<void> {
  const featureDir = join(root, "kitty-specs", FEATURE);
  const warn = () => {};
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      emitExecutionEvent(featureDir, FEATURE, wpId, "claude", "implementer", {
        inputTokens: 100 + i,
        outputTokens: 10,
        costUsd: 0.01,
        warn,
        nodeId: `cli-${wpId}-${i % 3}`,
      }),
    ),
  );
}

async function commitEmits(root: string, branch: string, wpId: string, count: number) {
  git(root, "checkout", "-q", "-b", branch, "main");
  await emitMany(root, wpId, count);
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", `${wpId} events`);
}

async function logEvents(root: string): Promise<Event[]> {
  const text = await readFile(join(root, "kitty-specs", FEATURE, "execution.events.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const parsed = readEventLine(line);
      if (parsed === null || "error" in parsed)
        throw new Error(`bad line in the merged log: ${line}`);
      return parsed;
    });
}

async function clockFile(root: string): Promise<Record<string, number>> {
  const text = await readFile(join(root, "kitty-specs", FEATURE, ".telemetry-clock.json"), "utf8");
  return JSON.parse(text) as Record<string, number>;
}

/** Two branches that each emitted to the feature, made into one by `how`. */
async function joined(how: "merge" | "rebase", init = true) {
  const root = await repository({ init });
  await commitEmits(root, "wp01", "WP01", 20);
  await commitEmits(root, "wp02", "WP02", 20);
  const result =
    how === "merge"
      ? spawnGit(root, ["merge", "--no-edit", "wp01"])
      : spawnGit(root, ["rebase", "wp01"]);
  return { root, result };
}

function spawnGit(cwd: string, args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: git(cwd, ...args) };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("logs that merge in git (real git)", () => {
  it.each(["merge", "rebase"] as const)(
    "a %s of two branches that emitted at once: no conflict, every event once, clocks kept",
    async (how) => {
      const { root, result } = await joined(how);
      expect(result).toMatchObject({ ok: true });
      const events = await logEvents(root);
      const ids = events.map((e) => e.event_id);
      const byWp = (wp: string) => events.filter((e) => e.payload.wp_id === wp).length;
      expect({ distinct: new Set(ids).size, lines: ids.length }).toEqual({
        distinct: 43,
        lines: 43,
      });
      expect([byWp("WP00"), byWp("WP01"), byWp("WP02")]).toEqual([3, 20, 20]);
      // Each node's clock is the highest either branch had; the next emit goes above them all.
      const clocks = await clockFile(root);
      const highest = Math.max(...events.map((e) => e.lamport_clock));
      expect(Math.max(...Object.values(clocks))).toBe(highest);
      await emitMany(root, "WP03", 1);
      const next = (await logEvents(root)).at(-1);
      expect(next?.lamport_clock).toBe(highest + 1);
    },
  );

  it("without init, the same merge conflicts (what init is for)", async () => {
    const { result } = await joined("merge", false);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/CONFLICT/);
  });

  it("python3 reads the merged log line by line", async () => {
    const { root } = await joined("merge");
    const check = [
      "import json, sys",
      "events = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]",
      "print(len(events), len({e['event_id'] for e in events}))",
    ].join("\n");
    const log = join(root, "kitty-specs", FEATURE, "execution.events.jsonl");
    expect(execFileSync("python3", ["-c", check, log], { encoding: "utf8" }).trim()).toBe("43 43");
  });

  it("the report cache and the emit index notice the merged log", async () => {
    const root = await repository({ init: true });
    await commitEmits(root, "wp01", "WP01", 20);
    await commitEmits(root, "wp02", "WP02", 20);
    // Both caches are made on this branch before the merge brings the other's events in.
    const before = await runSpecKitty(["agent", "telemetry", "cost", "--json"], { cwd: root });
    expect(before.exitCode).toBe(0);
    const theirs = (await logEvents(root)).find((e) => e.payload.wp_id === "WP02") as Event;
    expect(spawnGit(root, ["merge", "--no-edit", "wp01"])).toMatchObject({ ok: true });
    const cached = await runSpecKitty(["agent", "telemetry", "cost", "--json", "-g", "wp"], {
      cwd: root,
    });
    const fresh = await copyOfProject(root);
    const uncached = await runSpecKitty(["agent", "telemetry", "cost", "--json", "-g", "wp"], {
      cwd: fresh,
    });
    expect(cached.stdout).toBe(uncached.stdout);
    const counts = JSON.parse(cached.stdout).map((r: { event_count: number }) => r.event_count);
    expect(counts.sort((a: number, b: number) => a - b)).toEqual([3, 20, 20]);
    const store = new SimpleJsonStore(join(root, "kitty-specs", FEATURE, "execution.events.jsonl"));
    expect(await store.saveEvent(theirs)).toBe(false);
  });

  it("init is idempotent and keeps the user's own lines", async () => {
    const root = await tempDir();
    git(root, "init", "-q");
    await mkdir(join(root, "kitty-specs"));
    await writeFile(join(root, ".gitattributes"), "*.png binary");
    const first = await runSpecKitty(["agent", "telemetry", "init"], {
      cwd: root,
      selfCommand: SELF,
    });
    const again = await runSpecKitty(["agent", "telemetry", "init"], {
      cwd: root,
      selfCommand: SELF,
    });
    const check = await runSpecKitty(["agent", "telemetry", "init", "--check"], { cwd: root });
    expect(first.stdout).toMatch(/added to .gitattributes/);
    expect(again.stdout).toBe("the clock merge driver was already configured\n");
    expect(check.exitCode).toBe(0);
    expect(await readFile(join(root, ".gitattributes"), "utf8")).toMatchSnapshot();
  });

  it.each([["not a git repository", false, /not inside a git work tree/]])(
    "init in %s: one line, exit 1",
    async (_name, withGit, message) => {
      const root = await tempDir();
      if (withGit) git(root, "init", "-q");
      await mkdir(join(root, "kitty-specs"));
      const run = await runSpecKitty(["agent", "telemetry", "init"], { cwd: root });
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(message);
    },
  );

  it("init --check says what a clone lacks and exits 1", async () => {
    const root = await tempDir();
    git(root, "init", "-q");
    await mkdir(join(root, "kitty-specs"));
    const run = await runSpecKitty(["agent", "telemetry", "init", "--check"], { cwd: root });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /missing in .gitattributes: kitty-specs\/\*\*\/execution.events.jsonl merge=union/,
    );
    expect(run.stdout).toMatch(/clock merge driver: not configured/);
  });
});
