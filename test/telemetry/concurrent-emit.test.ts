import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { runEmitWorker } from "../support/run-worker.js";
import { tempDir } from "../support/temp-project.js";

const PROCESSES = 8;
const EMITS_EACH = 250;
const TOTAL = PROCESSES * EMITS_EACH;

describe("several processes emitting into one feature at once", () => {
  it(`${PROCESSES} processes x ${EMITS_EACH} emits: nothing lost, no torn lines, clocks 1..${TOTAL}`, async () => {
    const dir = join(await tempDir(), "kitty-specs", "043-telemetry-foundation");
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) =>
        runEmitWorker([dir, "043-telemetry-foundation", `WP0${i + 1}`, String(EMITS_EACH)]),
      ),
    );
    const text = await readFile(join(dir, "execution.events.jsonl"), "utf8");
    const { events, stats } = await new SimpleJsonStore(join(dir, "execution.events.jsonl")).read();
    const clocks = events.map((e) => e.lamport_clock).sort((a, b) => a - b);
    const clockFile = JSON.parse(await readFile(join(dir, ".telemetry-clock.json"), "utf8"));
    expect({
      workers: results.map((r) => [r.exitCode, r.saved, r.warnings.length]),
      lines: text.split("\n").length - 1,
      valid: events.length,
      skipped: stats.skipped,
      distinctIds: new Set(events.map((e) => e.event_id)).size,
      clocksAreOneToTotal: clocks.every((c, i) => c === i + 1),
      clockFileMax: Math.max(...Object.values(clockFile as Record<string, number>)),
    }).toEqual({
      workers: Array.from({ length: PROCESSES }, () => [0, EMITS_EACH, 0]),
      lines: TOTAL,
      valid: TOTAL,
      skipped: 0,
      distinctIds: TOTAL,
      clocksAreOneToTotal: true,
      clockFileMax: TOTAL,
    });
  });
});
