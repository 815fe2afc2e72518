import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareEvents, type Event } from "../../src/events/event.js";
import { epochMicros } from "../../src/events/timestamp.js";
import { EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import { listEvents } from "../../src/telemetry/event-listing.js";
import { idText, latestEvents } from "../../src/telemetry/latest-events.js";
import { type EventFilter, parseFilter, streamProjectEvents } from "../../src/telemetry/query.js";
import { IdKey } from "../../src/telemetry/scan/id-set.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { shuffledProject } from "../support/shuffled-project.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

type Filter = Omit<EventFilter, "eventType">;

/** The reference: every event read by the store's full parse, sorted (stably) as `events` lists. */
async function reference(repoRoot: string, filter: Filter) {
  const warnings: TelemetryWarning[] = [];
  const all: { at: number; event: Event }[] = [];
  const events = streamProjectEvents(
    repoRoot,
    { ...filter, eventType: "ExecutionEvent" },
    { warn: (w) => warnings.push(w) },
  );
  for await (const event of events) all.push({ at: epochMicros(event.timestamp), event });
  all.sort((a, b) => a.at - b.at || compareEvents(a.event, b.event));
  return { events: all.map((t) => t.event), warnings: warnings.map((w) => w.message) };
}

/** The listing and its warnings, with or without a limit. */
async function listing(repoRoot: string, filter: Filter, limit?: number) {
  const warnings: TelemetryWarning[] = [];
  const { events } = await listEvents({ repoRoot, filter, warn: (w) => warnings.push(w) }, limit);
  return { events, warnings: warnings.map((w) => w.message) };
}

const FILTERS: [string, Filter][] = [
  ["no filter", {}],
  ["a time window", { since: "2026-09-01T03:00:00Z", until: "2026-09-01T09:00:00Z" }],
  ["an agent", { agent: "claude" }],
  ["failures of a model", { success: false, model: "gpt-5.1-codex" }],
  ["a role and a WP", { role: "reviewer", wpId: "WP03" }],
  ["nothing", { agent: "nobody" }],
];
const LIMITS = [1, 2, 7, 100, 1000, 100_000];

describe("events: the full parse's events in order, streamed or the last N", () => {
  it.each(FILTERS)(
    "out-of-order logs with duplicates, bad lines and ties, %s",
    async (_, filter) => {
      const root = await shuffledProject();
      const all = await reference(root, filter);
      expect(await listing(root, filter)).toEqual(all);
      for (const limit of LIMITS) {
        const last = await listing(root, filter, limit);
        expect({ limit, ...last }).toEqual({
          limit,
          events: all.events.slice(-limit),
          warnings: all.warnings,
        });
      }
    },
    120_000,
  );

  it.each(LIMITS)("the fixture project, limit %i", async (limit) => {
    const root = await copyOfFixtureProject();
    const all = await reference(root, {});
    expect(await listing(root, {})).toEqual(all);
    expect(await listing(root, {}, limit)).toEqual({
      events: all.events.slice(-limit),
      warnings: all.warnings,
    });
  });

  it("never holds more than N places, however many events match", async () => {
    const root = await shuffledProject();
    const paths = ["041-shuffled", "042-reversed", "043-first"].map((f) =>
      join(root, "kitty-specs", f, EVENT_LOG_FILE),
    );
    let offered = 0;
    let most = 0;
    const events: Event[] = await latestEvents(paths, parseFilter({}), 5, {
      warn: () => undefined,
      onHeld: (held) => {
        offered++;
        most = Math.max(most, held);
      },
    });
    expect({ kept: events.length, most, offeredMany: offered > 50 }).toEqual({
      kept: 5,
      most: 5,
      offeredMany: true,
    });
  });
});

describe("idText: a decoded id's canonical text", () => {
  it.each([
    ["01J8ZK5M3N4P5Q6R7S8T9V0W1X", "01J8ZK5M3N4P5Q6R7S8T9V0W1X"],
    ["01j8zk5m3n4p5q6r7s8t9v0w1x", "01J8ZK5M3N4P5Q6R7S8T9V0W1X"],
    ["7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"],
    ["00000000000000000000000000", "00000000000000000000000000"],
    ["123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"],
    ["ffffffffffffffffffffffffffffffff", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
  ])("%s", (text, canonical) => {
    const key = new IdKey();
    const bytes = Buffer.from(text, "latin1");
    expect(key.decode(bytes, 0, bytes.length)).toBe(true);
    expect(idText(key.tag, key.words)).toBe(canonical);
  });
});
