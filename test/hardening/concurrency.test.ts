// The battery's "concurrency" category: writers that pause, stall or race inside the lock.
// (Many writers at once: test/telemetry/concurrent-emit.test.ts.)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

const SLUG = "043-telemetry-foundation";
const PAUSED_WRITER = join(import.meta.dirname, "fixtures", "paused-writer.ts");

/** The process state letter from /proc (T: stopped). */
const stateOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
};

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

describe("a writer paused inside the lock (SIGSTOP, a laptop lid)", () => {
  it("loses the lock to another writer, then neither duplicates its clock nor misreports: it writes once, after", async () => {
    const dir = join(await tempDir(), "kitty-specs", SLUG);
    const logPath = join(dir, "execution.events.jsonl");
    const goFile = join(dir, "..", "go");
    const child = spawn(process.execPath, ["--import", "tsx", PAUSED_WRITER, logPath, goFile], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    const exited = new Promise((resolve) => child.on("close", resolve));
    await until(() => stdout.includes("in-lock"));
    const pid = child.pid as number;
    process.kill(pid, "SIGSTOP");
    await until(() => stateOf(pid) === "T");
    await writeFile(goFile, "");

    // Another writer proceeds while the first is stopped: it takes the lock over once stale.
    const warnings: TelemetryWarning[] = [];
    const other = await emitExecutionEvent(dir, SLUG, "WP02", "claude", "implementer", {
      warn: (w) => warnings.push(w),
    });
    const stateWhileOtherWrote = stateOf(pid);
    process.kill(pid, "SIGCONT");
    await exited;

    const paused = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    const { events } = await new SimpleJsonStore(logPath).read();
    expect({
      stateWhileOtherWrote,
      other: other?.lamport_clock,
      warnings,
      // It built its event again under a fresh lock, above the other writer's clock.
      paused,
      log: events.map((e) => [e.node_id, e.lamport_clock]),
      pausedEventInLog: events.filter((e) => e.event_id === paused.id).length,
      lines: (await readFile(logPath, "utf8")).split("\n").length - 1,
    }).toEqual({
      stateWhileOtherWrote: "T",
      other: 1,
      warnings: [],
      paused: { clock: 2, id: expect.any(String), builds: 2 },
      log: [
        ["cli:WP02", 1],
        ["paused:WP01", 2],
      ],
      pausedEventInLog: 1,
      lines: 2,
    });
  }, 60_000);
});
