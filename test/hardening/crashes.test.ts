// The battery's "crashes" category: what a crashed, killed or corrupting writer leaves behind
// must cost at most its own line, never the feature's later recording.
import { spawn } from "node:child_process";
import {
  appendFile,
  mkdir,
  readdir,
  readFile,
  stat,
  utimes,
  watch,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_LAMPORT_CLOCK } from "../../src/events/clock.js";
import { createEvent, serializeEvent } from "../../src/events/event.js";
import { type EmitOptions, emitExecutionEvent } from "../../src/telemetry/emit.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

const EMIT_WORKER = join(import.meta.dirname, "..", "telemetry", "fixtures", "emit-worker.ts");
// What a feature folder holds after emission; anything else is a leftover.
const EXPECTED = [
  ".execution.events.jsonl.index.json",
  ".telemetry-clock.json",
  "execution.events.jsonl",
];

const SLUG = "043-telemetry-foundation";

async function feature() {
  const dir = join(await tempDir(), "kitty-specs", SLUG);
  const logPath = join(dir, "execution.events.jsonl");
  const warnings: TelemetryWarning[] = [];
  const emit = (wpId: string, options: EmitOptions = {}) =>
    emitExecutionEvent(dir, SLUG, wpId, "claude", "implementer", {
      warn: (w) => warnings.push(w),
      ...options,
    });
  return { dir, logPath, warnings, emit };
}

/** A line as another writer (or an attacker) might leave it, with the given clock. */
function lineWithClock(clock: string): string {
  const event = createEvent({
    event_id: "01KHJVJWDM0HGAGYGXJYAAAAAA",
    event_type: "ExecutionEvent",
    aggregate_id: SLUG,
    timestamp: "2026-02-16T09:12:58+00:00",
    node_id: "cli:WP09",
    lamport_clock: 7,
  });
  return `${serializeEvent(event).replace('"lamport_clock": 7', `"lamport_clock": ${clock}`)}\n`;
}

describe("one absurd clock value does not stop a feature's recording", () => {
  it.each([
    // [what is on disk, the next clock, lines the readers skip]
    ["a log line with clock 2^53-1 (read as corrupt)", "log", String(2 ** 53 - 1), 4, 1],
    ["a log line with clock 2^48 (read as corrupt)", "log", String(2 ** 48), 4, 1],
    [
      "a log line at the ceiling 2^48-1 (recording goes on at it)",
      "log",
      String(MAX_LAMPORT_CLOCK),
      MAX_LAMPORT_CLOCK,
      0,
    ],
    ["a clock file value 1e300 (ignored with a warning)", "clock", "1e300", 4, 0],
    ["a clock file value 2^53-1 (ignored with a warning)", "clock", String(2 ** 53 - 1), 4, 0],
  ])("%s", async (_, where, value, nextClock, skipped) => {
    const { dir, logPath, emit, warnings } = await feature();
    for (const wp of ["WP01", "WP02", "WP03"]) await emit(wp);
    if (where === "log") await appendFile(logPath, lineWithClock(value));
    else await writeFile(join(dir, ".telemetry-clock.json"), `{"cli:WP01": ${value}}`);
    const next = await emit("WP04");
    const after = await emit("WP05");
    const { stats } = await new SimpleJsonStore(logPath, { warn: () => undefined }).read();
    expect({
      clocks: [next?.lamport_clock, after?.lamport_clock],
      failed: warnings.filter((w) => w.code === "EMIT_FAILED").length,
      skipped: stats.skipped,
      clockFileWarned: warnings.some((w) => w.code === "CLOCK_FILE_CORRUPT"),
    }).toEqual({
      clocks: [nextClock, Math.min(nextClock + 1, MAX_LAMPORT_CLOCK)],
      failed: 0,
      skipped,
      clockFileWarned: where === "clock",
    });
  });

  it("the clock file is rewritten without the absurd value", async () => {
    const { dir, emit } = await feature();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, ".telemetry-clock.json"), '{"cli:WP01": 1e300, "cli:WP02": 2}');
    await emit("WP03");
    expect(await readFile(join(dir, ".telemetry-clock.json"), "utf8")).toBe(
      '{"cli:WP02": 2, "cli:WP03": 3}',
    );
  });
});

const strays = async (dir: string) =>
  (await readdir(dir)).filter((n) => !EXPECTED.includes(n)).sort();
const isTemp = (name: string | null) => name !== null && /\.(?:[0-9a-f]{12}\.tmp|\d+)$/.test(name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills `pid` with SIGKILL a random moment after the log's first line. */
async function atRandom(pid: number, dir: string): Promise<void> {
  const logPath = join(dir, "execution.events.jsonl");
  while (!((await stat(logPath).catch(() => null))?.size ?? 0)) await sleep(5);
  await sleep(Math.random() * 40);
  process.kill(pid, "SIGKILL");
}

/** Kills `pid` with SIGKILL while a temporary file of the clock or index exists (stopped first, to check). */
async function whileTempExists(pid: number, dir: string): Promise<void> {
  const watcher = watch(dir);
  for await (const { filename } of watcher) {
    if (!isTemp(filename)) continue;
    process.kill(pid, "SIGSTOP");
    if ((await readdir(dir)).some(isTemp)) break;
    process.kill(pid, "SIGCONT");
  }
  process.kill(pid, "SIGKILL");
}

/**
 * Starts a writer emitting without end, kills it mid-write, and emits once more into the same
 * feature. With `surelyMidWrite` (the kill landed inside the lock), the lock it leaves is dated a
 * minute ahead, so that only seeing its holder dead can free it: the lock's age, which a live
 * but paused holder also shows, would stall the next writer.
 */
async function killMidWriteThenEmit(
  kill: (pid: number, dir: string) => Promise<void>,
  surelyMidWrite: boolean,
) {
  const { dir, logPath, emit, warnings } = await feature();
  await mkdir(dir, { recursive: true });
  const worker = [EMIT_WORKER, dir, SLUG, "WP01", "1000000"];
  const child = spawn(process.execPath, ["--import", "tsx", ...worker], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("close", resolve));
  await kill(child.pid as number, dir);
  await exited;
  const left = await strays(dir);
  const lock = join(dir, "execution.events.jsonl.lock");
  const ahead = Date.now() / 1000 + 60;
  if (surelyMidWrite) await utimes(lock, ahead, ahead);
  await utimes(join(lock, "owner"), ahead, ahead).catch(() => undefined);
  const next = await emit("WP02");
  const { stats } = await new SimpleJsonStore(logPath, { warn: () => undefined }).read();
  return {
    leftTemp: left.some(isTemp),
    leftLock: left.includes("execution.events.jsonl.lock"),
    after: {
      strays: await strays(dir),
      saved: next !== undefined,
      warnings,
      skipped: stats.skipped,
    },
  };
}

describe("a writer killed with SIGKILL mid-write", () => {
  it.each([
    ["at random moments", atRandom, 3, false],
    ["while its temporary clock or index file exists", whileTempExists, 2, true],
  ])(
    "%s: the next writer is not stalled and leaves no temporary file or lock",
    async (_, kill, times, surelyMidWrite) => {
      const runs = [];
      for (let n = 0; n < times; n++) runs.push(await killMidWriteThenEmit(kill, surelyMidWrite));
      expect({
        landedWithTempAndLock: runs.every((r) => r.leftTemp && r.leftLock),
        after: runs.map((r) => r.after),
      }).toEqual({
        landedWithTempAndLock: surelyMidWrite ? true : expect.any(Boolean),
        after: runs.map(() => ({ strays: [], saved: true, warnings: [], skipped: 0 })),
      });
    },
    120_000,
  );
});
