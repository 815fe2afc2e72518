import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEvent, serializeEvent } from "../../src/events/event.js";
import { costSummary, parseGroupBy } from "../../src/telemetry/cost.js";
import { EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import { EXECUTION_FLOAT_KEYS } from "../../src/telemetry/execution-payload.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { queryProjectEvents } from "../../src/telemetry/query.js";
import { costReport } from "../../src/telemetry/report.js";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import {
  formatLocalDate,
  isoWeekOf,
  localDateOf,
  localDayKeyer,
  startOfLocalDay,
} from "../../src/telemetry/time-zone.js";
import { UsageRows } from "../../src/telemetry/usage-rows.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

// Events around the 2026 clock changes, each costing a distinct power of two (so a sum names
// its events). Berlin goes to summer time on Sunday 29 March at 01:00 UTC, New York on
// Sunday 8 March at 07:00 UTC. ISO weeks: W10 is 2-8 March, W11 9-15, W13 23-29, W14 30 March-5 April.
const EVENTS: [string, number, string][] = [
  ["2026-03-28T22:30:00Z", 1, "claude"], //  Berlin Sat 28 23:30 CET    New York Sat 28 18:30 EDT
  ["2026-03-28T23:30:00Z", 2, "codex"], //   Berlin Sun 29 00:30 CET    New York Sat 28 19:30
  ["2026-03-29T21:30:00Z", 4, "claude"], //  Berlin Sun 29 23:30 CEST   New York Sun 29 17:30
  ["2026-03-29T22:30:00Z", 8, "claude"], //  Berlin Mon 30 00:30 CEST   New York Sun 29 18:30
  ["2026-03-08T04:30:00Z", 16, "codex"], //  Berlin Sun 8 05:30         New York Sat 7 23:30 EST
  ["2026-03-08T05:30:00Z", 32, "claude"], // Berlin Sun 8 06:30         New York Sun 8 00:30 EST
  ["2026-03-09T03:30:00Z", 64, "claude"], // Berlin Mon 9 04:30         New York Sun 8 23:30 EDT
  ["2026-03-09T04:30:00Z", 128, "codex"], // Berlin Mon 9 05:30         New York Mon 9 00:30 EDT
  ["2026-03-31T22:30:00Z", 256, "claude"], // Berlin Wed 1 April 00:30  New York Tue 31 18:30
];

async function project(): Promise<string> {
  const root = await tempDir();
  const dir = join(root, "kitty-specs", "001-time");
  await mkdir(dir, { recursive: true });
  const lines = EVENTS.map(([at, cost, agent], i) =>
    serializeEvent(
      createEvent({
        event_id: `01JQ${String(i).padStart(22, "0")}`,
        event_type: "ExecutionEvent",
        aggregate_id: "001-time",
        timestamp: at.replace("Z", "+00:00"),
        node_id: "cli",
        lamport_clock: i + 1,
        payload: {
          agent,
          model: "claude-sonnet-4-5",
          role: "implementer",
          wp_id: "WP01",
          cost_usd: cost,
          success: true,
        },
      }),
      EXECUTION_FLOAT_KEYS,
    ),
  );
  await writeFile(join(dir, EVENT_LOG_FILE), `${lines.join("\n")}\n`);
  return root;
}

type Table = Record<string, number>;

// Worked out by hand from the comments above.
const TABLES: [string, string, Table][] = [
  [
    "day",
    "UTC",
    { "2026-03-08": 48, "2026-03-09": 192, "2026-03-28": 3, "2026-03-29": 12, "2026-03-31": 256 },
  ],
  [
    "day",
    "Europe/Berlin",
    {
      "2026-03-08": 48,
      "2026-03-09": 192,
      "2026-03-28": 1,
      "2026-03-29": 6,
      "2026-03-30": 8,
      "2026-04-01": 256,
    },
  ],
  [
    "day",
    "America/New_York",
    {
      "2026-03-07": 16,
      "2026-03-08": 96,
      "2026-03-09": 128,
      "2026-03-28": 3,
      "2026-03-29": 12,
      "2026-03-31": 256,
    },
  ],
  ["week", "Europe/Berlin", { "2026-W10": 48, "2026-W11": 192, "2026-W13": 7, "2026-W14": 264 }],
  [
    "week",
    "America/New_York",
    { "2026-W10": 112, "2026-W11": 128, "2026-W13": 15, "2026-W14": 256 },
  ],
  ["month", "Europe/Berlin", { "2026-03": 255, "2026-04": 256 }],
  ["month", "America/New_York", { "2026-03": 511 }],
  [
    "month,agent",
    "Europe/Berlin",
    { "2026-03,claude": 109, "2026-03,codex": 146, "2026-04,claude": 256 },
  ],
  [
    "agent,week",
    "America/New_York",
    {
      "claude,2026-W10": 96,
      "claude,2026-W13": 13,
      "claude,2026-W14": 256,
      "codex,2026-W10": 16,
      "codex,2026-W11": 128,
      "codex,2026-W13": 2,
    },
  ],
];

const asTable = (groups: { groupKey: string; totalCost: bigint }[]): Table =>
  Object.fromEntries(groups.map((g) => [g.groupKey, Number(g.totalCost) / 1e12]));

describe("day, week and month buckets around clock changes", () => {
  it.each(TABLES)("-g %s in %s", async (groupBy, timeZone, expected) => {
    const root = await project();
    const pricing = await loadPricingTable(root, { warn: () => undefined });
    const scope = { repoRoot: root, warn: () => undefined, timeZone };
    for (const options of [{ threads: 1, cache: false }, { threads: 1 }]) {
      const report = await costReport(scope, groupBy, pricing, options);
      expect(asTable(report.groups)).toEqual(expected);
    }
    // Rows with days are not cached (a report grouped by time reads the logs, like --since).
    await expect(readdir(join(root, ".kittify", "cache"))).rejects.toThrow(/ENOENT/);
    // The full parse, event by event, agrees.
    const events = await queryProjectEvents(root, {}, { warn: () => undefined });
    expect(asTable(costSummary(events, parseGroupBy(groupBy), pricing, { timeZone }))).toEqual(
      expected,
    );
  });

  it("lists periods oldest first, and by cost within a period", async () => {
    const root = await project();
    const pricing = await loadPricingTable(root, { warn: () => undefined });
    const scope = { repoRoot: root, warn: () => undefined, timeZone: "Europe/Berlin" };
    const report = await costReport(scope, "month,agent", pricing);
    expect(report.groups.map((g) => g.groupKey)).toEqual([
      "2026-03,codex",
      "2026-03,claude",
      "2026-04,claude",
    ]);
  });

  it("keeps JSON timestamps in UTC and buckets in --timezone (CLI)", async () => {
    const root = await project();
    const cost = await runSpecKitty(
      ["agent", "telemetry", "cost", "-g", "week", "--timezone", "Europe/Berlin", "--json"],
      { cwd: root },
    );
    expect(cost.exitCode, cost.stderr).toBe(0);
    const rows = JSON.parse(cost.stdout) as {
      group_key: string;
      group_by: string;
      total_cost_usd: number;
    }[];
    expect(rows.map((r) => [r.group_key, r.group_by, r.total_cost_usd])).toEqual([
      ["2026-W10", "week", 48],
      ["2026-W11", "week", 192],
      ["2026-W13", "week", 7],
      ["2026-W14", "week", 264],
    ]);
    const events = await runSpecKitty(
      ["agent", "telemetry", "events", "--json", "--timezone", "Europe/Berlin", "--limit", "1"],
      { cwd: root },
    );
    expect(events.stdout).toContain('"timestamp": "2026-03-31T22:30:00+00:00"');
  });

  it.each(["day,week", "month,day", "day,day"])(
    "refuses -g %s (at most one time key)",
    async (groupBy) => {
      expect(() => parseGroupBy(groupBy)).toThrow(/at most one of them a time/);
    },
  );
});

describe("usage rows with a period", () => {
  it("keep it through JSON (a worker's reply), and rows without one keep the cache's shape", () => {
    const fields = new EventFields();
    fields.aggregateId = "001-x";
    fields.costUsd = 0.5;
    const rows = new UsageRows();
    rows.add(fields, "2026-03-29");
    rows.add(fields);
    const json = rows.toJSON();
    expect(json.map((row) => row.length)).toEqual([24, 23]);
    const back = new UsageRows();
    expect(back.addJSON(JSON.parse(JSON.stringify(json)))).toBe(true);
    expect([...back].map((row) => [row.key.period, row.eventCount])).toEqual([
      ["2026-03-29", 1],
      [null, 1],
    ]);
  });
});

describe("time-zone helpers", () => {
  it.each<[string, string]>([
    ["2026-01-01", "2026-W01"],
    ["2025-12-29", "2026-W01"],
    ["2025-12-28", "2025-W52"],
    ["2026-03-29", "2026-W13"],
    ["2026-03-30", "2026-W14"],
    ["2027-01-03", "2026-W53"],
  ])("%s is in ISO week %s", (day, week) => {
    expect(isoWeekOf(day)).toBe(week);
  });

  it.each<[string, string, string]>([
    ["Europe/Berlin", "2026-03-29", "2026-03-28T23:00:00.000Z"],
    ["Europe/Berlin", "2026-03-30", "2026-03-29T22:00:00.000Z"],
    ["America/New_York", "2026-11-01", "2026-11-01T04:00:00.000Z"],
    ["America/New_York", "2026-11-02", "2026-11-02T05:00:00.000Z"],
    // Havana's clocks skip midnight: 8 March 2026 starts at 01:00 (05:00 UTC).
    ["America/Havana", "2026-03-08", "2026-03-08T05:00:00.000Z"],
    ["Asia/Kathmandu", "2026-03-08", "2026-03-07T18:15:00.000Z"],
  ])("%s: %s starts at %s", (zone, day, iso) => {
    const [year, month, d] = day.split("-").map(Number) as [number, number, number];
    expect(new Date(startOfLocalDay({ year, month, day: d }, zone)).toISOString()).toBe(iso);
  });

  it.each(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"])(
    "%s: the keyer's date of every half hour across 2026 is Intl's",
    (zone) => {
      const dayOf = localDayKeyer(zone);
      const start = Date.UTC(2026, 0, 1);
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 1_800_000 + 7) {
        const expected = formatLocalDate(localDateOf(ms, zone));
        if (dayOf(ms * 1000) !== expected)
          expect([zone, ms, dayOf(ms * 1000)]).toEqual([zone, ms, expected]);
      }
    },
  );

  // The keyer remembers the span its last date holds for: times in any order, to the
  // microsecond around midnights and clock changes, still get Intl's date.
  it.each(["Europe/Berlin", "America/Havana", "Asia/Kathmandu"])(
    "%s: the keyer's dates in any order around clock changes are Intl's",
    (zone) => {
      const dayOf = localDayKeyer(zone);
      const start = Date.UTC(2026, 2, 6);
      const times: number[] = [];
      for (let ms = start; ms < start + 28 * 86_400_000; ms += 900_000) times.push(ms, ms - 1);
      for (let i = 0; i < times.length; i++) {
        const ms = times[(i * 7919) % times.length] as number;
        const expected = formatLocalDate(localDateOf(ms, zone));
        if (dayOf(ms * 1000 + 999) !== expected) expect([zone, ms]).toEqual([zone, expected]);
        if (dayOf(ms * 1000) !== expected) expect([zone, ms]).toEqual([zone, expected]);
      }
    },
  );

  it("reads UTC dates without Intl, as Intl reads them (1900-2100)", () => {
    const intl = new Intl.DateTimeFormat("en-US", {
      timeZone: "UTC",
      year: "numeric",
      month: "numeric",
      day: "numeric",
    });
    const dayOf = localDayKeyer("UTC");
    const [from, to] = [Date.UTC(1900, 0, 1), Date.UTC(2100, 0, 1)];
    for (let i = 0; i < 2000; i++) {
      // Spread over two centuries, before 1970 too (negative epoch milliseconds).
      const ms = Math.floor(from + ((to - from) * ((i * 7919) % 2000)) / 2000) + i * 3_600_007;
      const parts = intl.formatToParts(new Date(ms));
      const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
      const expected = { year: get("year"), month: get("month"), day: get("day") };
      expect(localDateOf(ms, "UTC")).toEqual(expected);
      expect(dayOf(ms * 1000)).toBe(formatLocalDate(expected));
    }
  });

  it("keys each microsecond by its local date, at the edges of a day", () => {
    const dayOf = localDayKeyer("Asia/Kathmandu"); // +05:45
    const midnight = Date.parse("2026-03-07T18:15:00Z") * 1000;
    expect([dayOf(midnight - 1), dayOf(midnight), dayOf(midnight - 1)]).toEqual([
      "2026-03-07",
      "2026-03-08",
      "2026-03-07",
    ]);
  });
});
