import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEvent, serializeEvent } from "../../src/events/event.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { runEmitWorker, runSaveWorker } from "../support/run-worker.js";
import { tempDir } from "../support/temp-project.js";

const PROCESSES = 4;
const EMITS_EACH = 100;
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

describe("several processes saving the same events at once", () => {
  it("4 processes x the same 150 events (ULIDs and UUIDs): each id is written once", async () => {
    const dir = await tempDir();
    const events = Array.from({ length: 150 }, (_, i) =>
      createEvent({
        event_id:
          i % 3 === 0
            ? `6f9619ff-8b86-d011-b42d-${String(i).padStart(12, "0")}`
            : `01KHJVJWDM0HGAGYGXJY${String(i).padStart(6, "0")}`,
        event_type: "ExecutionEvent",
        aggregate_id: "043-telemetry-foundation",
        timestamp: "2026-02-16T09:12:58+00:00",
        node_id: "cli:WP01",
        lamport_clock: i + 1,
      }),
    );
    const source = join(dir, "events.jsonl");
    await writeFile(source, events.map((e) => `${serializeEvent(e)}\n`).join(""));
    const log = join(dir, "kitty-specs", "043-telemetry-foundation", "execution.events.jsonl");
    const results = await Promise.all(Array.from({ length: 4 }, () => runSaveWorker(source, log)));
    const { events: stored, stats } = await new SimpleJsonStore(log).read();
    expect({
      exits: results.map((r) => r.exitCode),
      writtenInAll: results.reduce((sum, r) => sum + r.saved, 0),
      lines: (await readFile(log, "utf8")).split("\n").length - 1,
      duplicates: stats.duplicates,
      ids: new Set(stored.map((e) => e.event_id)).size,
    }).toEqual({ exits: [0, 0, 0, 0], writtenInAll: 150, lines: 150, duplicates: 0, ids: 150 });
  });
});
