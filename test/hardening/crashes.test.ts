// The battery's "crashes" category: what a crashed, killed or corrupting writer leaves behind
// must cost at most its own line, never the feature's later recording.
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_LAMPORT_CLOCK } from "../../src/events/clock.js";
import { createEvent, serializeEvent } from "../../src/events/event.js";
import { type EmitOptions, emitExecutionEvent } from "../../src/telemetry/emit.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

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
