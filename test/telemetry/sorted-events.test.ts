import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import { type EventFilter, parseFilter, queryProjectEvents } from "../../src/telemetry/query.js";
import { sortedEvents, streamProjectEventsSorted } from "../../src/telemetry/sorted-events.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { shuffledProject } from "../support/shuffled-project.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";
import { writeVariedLog } from "../support/varied-log.js";

const FILTERS: [string, EventFilter][] = [
  ["no filter", {}],
  ["execution events", { eventType: "ExecutionEvent" }],
  ["another type", { eventType: "WPStatusChanged" }],
  ["an agent, any type", { agent: "codex" }],
  ["a window", { since: "2026-09-01T02:00:00Z", until: "2026-09-01T05:00:00Z" }],
];

async function both(root: string, filter: EventFilter) {
  const run = async (read: (warn: (w: TelemetryWarning) => void) => Promise<unknown[]>) => {
    const warnings: TelemetryWarning[] = [];
    const events = await read((w) => warnings.push(w));
    return { events, warnings: warnings.map((w) => w.message).sort() };
  };
  const streamed = await run(async (warn) => {
    const events: unknown[] = [];
    for await (const e of streamProjectEventsSorted(root, filter, { warn })) events.push(e);
    return events;
  });
  return { streamed, queried: await run((warn) => queryProjectEvents(root, filter, { warn })) };
}

describe("streamProjectEventsSorted: queryProjectEvents' result, one event at a time", () => {
  it.each(FILTERS)(
    "out-of-order logs with duplicates, bad lines and ties, %s",
    async (_, filter) => {
      const { streamed, queried } = await both(await shuffledProject(), filter);
      expect(streamed).toEqual(queried);
    },
    60_000,
  );

  it.each(FILTERS)("the fixture project, %s", async (_, filter) => {
    const { streamed, queried } = await both(await copyOfFixtureProject(), filter);
    expect(streamed).toEqual(queried);
  });
});

describe("sortedEvents holds a chunk of each log in order, not the logs", () => {
  it("yields every event while holding a small part of them", async () => {
    const root = await tempDir();
    const paths = await Promise.all(
      ["051-a", "052-b", "053-c"].map((f) => writeVariedLog(root, f, 2000)),
    );
    let most = 0;
    let yielded = 0;
    for await (const _ of sortedEvents(paths, parseFilter({}), {
      warn: () => undefined,
      order: "time",
      chunkSize: 8 << 10,
      onHeld: (held) => {
        most = Math.max(most, held);
      },
    })) {
      yielded++;
    }
    // Three cursors of 8 KiB of lines each (~10 events a chunk), out of ~5,500 events.
    expect({ yieldedMany: yielded > 5000, mostHeld: most <= 3 * 20 }).toEqual({
      yieldedMany: true,
      mostHeld: true,
    });
  });

  it("a log out of order is held whole, and still merged in order", async () => {
    const root = await shuffledProject();
    const paths = ["041-shuffled", "043-first"].map((f) =>
      join(root, "kitty-specs", f, EVENT_LOG_FILE),
    );
    let most = 0;
    let yielded = 0;
    for await (const _ of sortedEvents(paths, parseFilter({}), {
      warn: () => undefined,
      order: "time",
      chunkSize: 8 << 10,
      onHeld: (held) => {
        most = Math.max(most, held);
      },
    })) {
      yielded++;
    }
    // 041's ~850 events held at once; 043's (~650, in time order) a chunk at a time.
    expect({ most: most > 800 && most < 1000, yielded: yielded > 1400 }).toEqual({
      most: true,
      yielded: true,
    });
  });
});
