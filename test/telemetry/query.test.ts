import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareEvents } from "../../src/events/event.js";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import {
  type DateContext,
  type EventFilter,
  parseFilter,
  queryExecutionEvents,
  queryProjectEvents,
  streamProjectEvents,
  timeBound,
} from "../../src/telemetry/query.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { copyOfFixtureProject, FIXTURE_PROJECT, tempDir } from "../support/temp-project.js";

const silent = { warn: () => {} };

// Counts worked out by hand from the 25 fixture lines (043: 2, 045: 1, 048: 8, 053: 14).
describe("queryProjectEvents on the fixture project", () => {
  it.each<[string, EventFilter, number]>([
    ["no filter", {}, 25],
    ["eventType ExecutionEvent", { eventType: "ExecutionEvent" }, 25],
    ["eventType of another kind", { eventType: "WPStarted" }, 0],
    ["wpId WP01 (048: 1, 053: 2 implementer + 1 reviewer)", { wpId: "WP01" }, 4],
    ["wpId N/A (048: 6, 053: 2)", { wpId: "N/A" }, 8],
    ["agent claude", { agent: "claude" }, 5],
    ["agent copilot", { agent: "copilot" }, 3],
    ["agent codex_nonKitty", { agent: "codex_nonKitty" }, 14],
    ["agent unknown (as written)", { agent: "unknown" }, 3],
    ["model claude-opus-4-6", { model: "claude-opus-4-6" }, 4],
    ["model claude-opus-4.6 (exact, not normalised)", { model: "claude-opus-4.6" }, 1],
    ["role implementer", { role: "implementer" }, 12],
    ["role reviewer", { role: "reviewer" }, 5],
    ["role specifier", { role: "specifier" }, 2],
    ["role planner", { role: "planner" }, 6],
    ["success true", { success: true }, 25],
    ["success false", { success: false }, 0],
    ["until a date includes that whole day", { until: "2026-02-16" }, 9],
    ["since a date starts at its midnight UTC", { since: "2026-02-17" }, 16],
    ["since and until the same day", { since: "2026-02-17", until: "2026-02-17" }, 16],
    [
      "since an event's exact microsecond includes it",
      { since: "2026-02-16T09:12:58.036834+00:00" },
      24,
    ],
    ["until an event's exact microsecond includes it", { until: "2026-02-16T09:12:58.036834Z" }, 2],
    ["a naive time is UTC", { since: "2026-02-17T15:50:00" }, 4],
    ["an offset is applied", { since: "2026-02-17T17:50:00+02:00" }, 4],
    ["a Date bound", { until: new Date("2026-02-16T12:00:00Z") }, 6],
    ["fields are AND-ed", { agent: "codex_nonKitty", role: "reviewer", wpId: "WP02" }, 1],
  ])("%s: %i events", async (_name, filter, expected) => {
    expect(await queryProjectEvents(FIXTURE_PROJECT, filter, silent)).toHaveLength(expected);
  });

  it.each<[string, number]>([
    ["043", 2],
    ["043-*", 2],
    ["043-telemetry-foundation", 2],
    ["04*", 11],
    ["05", 14],
    ["*lifecycle*", 8],
    ["999", 0],
  ])("feature %s selects %i events", async (feature, expected) => {
    expect(await queryProjectEvents(FIXTURE_PROJECT, {}, { ...silent, feature })).toHaveLength(
      expected,
    );
  });

  it("sorts by (lamport_clock, node_id) across features, as the store contract says", async () => {
    const events = await queryProjectEvents(FIXTURE_PROJECT, {}, silent);
    expect(events).toEqual([...events].sort(compareEvents));
    expect(events.slice(0, 3).map((e) => [e.lamport_clock, e.node_id])).toEqual([
      [1, "cli:BUGFIX"],
      [1, "cli:N/A"],
      [1, "cli:N/A"],
    ]);
  });

  it.each(["../secrets", "/etc", "..", "a/b", ""])(
    "refuses the feature pattern %j, which would reach outside kitty-specs/",
    async (feature) => {
      await expect(queryProjectEvents(FIXTURE_PROJECT, {}, { ...silent, feature })).rejects.toThrow(
        /--feature takes a feature folder name or glob/,
      );
    },
  );
});

describe("queryExecutionEvents", () => {
  it("returns one feature's events sorted by clock", async () => {
    const dir = join(FIXTURE_PROJECT, "kitty-specs", "053-doctrine-governance-layer-refactor");
    const events = await queryExecutionEvents(dir, { role: "reviewer" }, silent);
    expect(events.map((e) => `${e.lamport_clock} ${e.node_id}`)).toEqual([
      "3 cli:WP01",
      "3 cli:WP02",
      "3 cli:WP03",
      "3 cli:WP04",
    ]);
  });

  it.each([
    ["a missing feature folder", "kitty-specs/999-nothing"],
    ["a feature folder without a log", "kitty-specs/empty"],
  ])("gives an empty result for %s", async (_name, relative) => {
    const root = await tempDir();
    await mkdir(join(root, "kitty-specs", "empty"), { recursive: true });
    expect(await queryExecutionEvents(join(root, relative), {}, silent)).toEqual([]);
  });
});

describe("project queries on unusual projects", () => {
  it("gives an empty result for a folder without kitty-specs/", async () => {
    expect(await queryProjectEvents(await tempDir(), {}, silent)).toEqual([]);
  });

  it("filters success and failure on emitted events", async () => {
    const root = await tempDir();
    const dir = join(root, "kitty-specs", "001-x");
    for (const success of [true, false, false, true, true]) {
      await emitExecutionEvent(dir, "001-x", "WP01", "codex", "implementer", {
        success,
        ...silent,
      });
    }
    const count = async (filter: EventFilter) =>
      (await queryProjectEvents(root, filter, silent)).length;
    expect([await count({ success: true }), await count({ success: false })]).toEqual([3, 2]);
  });

  it("ignores, with one warning, a feature symlinked to a folder outside kitty-specs/", async () => {
    const root = await copyOfFixtureProject();
    const outside = join(await tempDir(), "elsewhere");
    await cp(
      join(FIXTURE_PROJECT, "kitty-specs", "045-constitution-doctrine-config-sync"),
      outside,
      { recursive: true },
    );
    await symlink(outside, join(root, "kitty-specs", "099-outside"));
    // A second name for a folder inside must not count its events twice.
    await symlink(
      join(root, "kitty-specs", "043-telemetry-foundation"),
      join(root, "kitty-specs", "044-alias"),
    );
    const warnings: TelemetryWarning[] = [];
    const events = await queryProjectEvents(root, {}, { warn: (w) => warnings.push(w) });
    expect({ count: events.length, warnings: warnings.map((w) => w.code) }).toEqual({
      count: 25,
      warnings: ["FEATURE_OUTSIDE_PROJECT"],
    });
  });

  it("reports an unreadable log once and still returns the other features' events", async () => {
    const root = await copyOfFixtureProject();
    await mkdir(join(root, "kitty-specs", "060-broken", "execution.events.jsonl"), {
      recursive: true,
    });
    const warnings: TelemetryWarning[] = [];
    const events = await queryProjectEvents(root, {}, { warn: (w) => warnings.push(w) });
    expect({ count: events.length, warnings }).toEqual({
      count: 25,
      warnings: [
        expect.objectContaining({
          code: "LOG_UNREADABLE",
          message: expect.stringContaining("is a directory"),
        }),
      ],
    });
  });

  it("streams without sorting, feature by feature in file order", async () => {
    const ids: string[] = [];
    for await (const e of streamProjectEvents(FIXTURE_PROJECT, {}, silent)) {
      ids.push(`${e.aggregate_id.slice(0, 3)}:${e.lamport_clock}`);
    }
    expect(ids.slice(0, 5)).toEqual(["043:1", "043:2", "045:1", "048:1", "048:2"]);
  });
});

describe("timeBound", () => {
  // Monday 2026-03-30 10:00 UTC is 12:00 in Berlin (summer time since the 29th).
  const now = () => Date.parse("2026-03-30T10:00:00Z");
  const berlin = { now, timeZone: "Europe/Berlin" };

  it.each<[string, "since" | "until", DateContext, string]>([
    ["2026-02-16", "since", {}, "2026-02-16T00:00:00.000000Z"],
    ["2026-02-16", "until", {}, "2026-02-16T23:59:59.999999Z"],
    ["20260216", "since", {}, "2026-02-16T00:00:00.000000Z"],
    ["20260216", "until", {}, "2026-02-16T23:59:59.999999Z"],
    ["2026-02-16T10:00", "since", {}, "2026-02-16T10:00:00.000000Z"],
    ["2026-02-16T10:00", "until", {}, "2026-02-16T10:00:59.999999Z"],
    ["2026-02-16T09:12:58", "until", {}, "2026-02-16T09:12:58.999999Z"],
    ["2026-02-16T09:12:58.5", "until", {}, "2026-02-16T09:12:58.500000Z"],
    ["2026-02-16T10:00:00-05:00", "until", {}, "2026-02-16T15:00:00.999999Z"],
    // Dates are days of the zone: the 29th in Berlin has 23 hours (clocks go forward at 02:00).
    ["2026-03-29", "since", berlin, "2026-03-28T23:00:00.000000Z"],
    ["20260329", "until", berlin, "2026-03-29T21:59:59.999999Z"],
    ["today", "since", berlin, "2026-03-29T22:00:00.000000Z"],
    ["TODAY", "until", berlin, "2026-03-30T21:59:59.999999Z"],
    ["yesterday", "since", berlin, "2026-03-28T23:00:00.000000Z"],
    ["yesterday", "until", berlin, "2026-03-29T21:59:59.999999Z"],
    ["today", "since", { now, timeZone: "America/New_York" }, "2026-03-30T04:00:00.000000Z"],
    ["7d", "since", berlin, "2026-03-23T10:00:00.000000Z"],
    ["0d", "until", berlin, "2026-03-30T10:00:00.000000Z"],
    // A naive date-time stays UTC whatever the zone: as the events table shows times.
    ["2026-03-29T10:00", "since", berlin, "2026-03-29T10:00:00.000000Z"],
  ])("%s as %s (%o) is %s", (text, bound, context, iso) => {
    expect(isoMicros(timeBound(text, bound, context))).toBe(iso);
  });

  it.each([
    "last tuesday",
    "2026-13-01",
    "2026-02-30",
    "20260230",
    "2026-0216",
    "16/02/2026",
    "7days",
    "-7d",
  ])("refuses %j", (text) => {
    expect(() => timeBound(text, "since")).toThrow(/invalid --since date/);
  });

  it.each<[string, string]>([
    ["2026-02-17", "2026-02-16"],
    ["today", "yesterday"],
    ["2026-02-16T09:13", "2026-02-16T09:12:59"],
  ])("refuses --since %s after --until %s", (since, until) => {
    expect(() => parseFilter({ since, until }, { now: () => 0 })).toThrow(
      /--since .* is after --until .*: no event can match/,
    );
  });

  it("takes a range of one second, and equal bounds", () => {
    const one = parseFilter({ since: "2026-02-16T09:12:58", until: "2026-02-16T09:12:58" });
    expect((one.untilMicros ?? 0) - (one.sinceMicros ?? 0)).toBe(999_999);
  });
});

/** Epoch microseconds as an ISO text to the microsecond. */
function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const frac = String(micros - ms * 1000).padStart(3, "0");
  return new Date(ms).toISOString().replace("Z", `${frac}Z`);
}
