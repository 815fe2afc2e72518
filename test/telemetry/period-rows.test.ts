import { describe, expect, it } from "vitest";
import { type PeriodChoice, PeriodRows } from "../../src/telemetry/period-rows.js";
import { KEY_FIELD_BITS } from "../../src/telemetry/row-table.js";
import { EventFields, LongContextFields } from "../../src/telemetry/scan/event-fields.js";
import { localDayKeyer, type PeriodUnit, periodOf } from "../../src/telemetry/time-zone.js";
import { UsageRows } from "../../src/telemetry/usage-rows.js";

const DAY = 86_400_000_000;
const START = Date.UTC(2024, 0, 1) * 1000;
const { aggregateId, agent, eventModel, role, wpId, success, source } = KEY_FIELD_BITS;
const ROW_KEEP = aggregateId | agent | wpId | success | source;
const PERIOD_KEEP = agent | success;

/**
 * `count` events over `days` days, in time order or not: several features, agents, models,
 * outcomes and origins; some with per-model usage and long-context bands, some whose token
 * sums pass 2^53 (within one period and across periods), some with a reported cost.
 */
function events(count: number, days: number, ordered: boolean): EventFields[] {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor((seed / 2_147_483_648) * n);
  };
  return Array.from({ length: count }, (_, i) => {
    const e = new EventFields();
    e.micros = START + (ordered ? Math.floor((i * days * DAY) / count) : next(days) * DAY + i);
    e.aggregateId = `04${next(3)}-x`;
    e.agent = ["claude", "codex", null][next(3)] ?? null;
    e.model = ["m1", "m2"][next(2)] ?? null;
    e.role = ["implementer", "reviewer"][next(2)] ?? null;
    e.wpId = `WP0${next(4)}`;
    e.success = [true, false, null][next(3)] ?? null;
    e.source = ["emit", null][next(2)] ?? null;
    e.inputTokens = next(5_000);
    if (i % 97 < 2) {
      // Two at a time, one key: sums past 2^53 within a period and across periods.
      Object.assign(e, { aggregateId: "040-x", agent: "claude", model: "m1", wpId: "WP00" });
      Object.assign(e, { success: true, source: "emit" });
      e.inputTokens = Number.MAX_SAFE_INTEGER - next(9);
    }
    e.outputTokens = next(300);
    if (i % 5 === 0) e.costUsd = next(1_000) / 1_000;
    if (i % 11 === 0) {
      const model = e.nextModel();
      Object.assign(model, { model: "m3", inputTokens: 300_000, outputTokens: 5 });
      model.addLongContext(
        Object.assign(new LongContextFields(), { aboveTokens: 200_000, inputTokens: 9 }),
      );
    }
    return e;
  });
}

/** Rows as sorted JSON (the order rows are kept in does not matter). */
function sorted(rows: UsageRows): string[] {
  return rows
    .toJSON()
    .map((r) => JSON.stringify(r))
    .sort();
}

function fromPacked(packed: unknown): string[] {
  const rows = new UsageRows();
  expect(rows.sumPacked(packed)).toBe(true);
  return sorted(rows);
}

/** What summing each event into each row set gives: the rows PeriodRows must give. */
function expected(all: readonly EventFields[], zone: string, units: readonly PeriodUnit[]) {
  const day = localDayKeyer(zone);
  const rows = new UsageRows();
  for (const e of all) rows.add(e, null, ROW_KEEP);
  const periods: Record<string, string[]> = {};
  for (const unit of units) {
    const byPeriod = new UsageRows();
    for (const e of all) byPeriod.add(e, periodOf(day(e.micros), unit), PERIOD_KEEP);
    periods[unit] = sorted(byPeriod);
  }
  return { rows: sorted(rows), periods };
}

// A dashboard's range sums each event once, into the current period's rows, which are summed
// into the rows without period and by period when the period changes (or the range ends).
describe("PeriodRows", () => {
  it.each<[string, PeriodChoice, PeriodUnit, number, boolean, PeriodUnit[]]>([
    ["a chosen day", "day", "day", 30, true, ["day"]],
    ["a chosen week (with months)", "week", "day", 300, true, ["week", "month"]],
    ["a chosen month", "month", "day", 300, false, ["month"]],
    ["auto: days kept", "auto", "day", 100, false, ["day"]],
    ["auto: days, then weeks and months", "auto", "day", 400, false, ["week", "month"]],
    ["auto: days, then months alone", "auto", "day", 1_200, false, ["month"]],
    ["auto: weeks, then months alone", "auto", "week", 1_200, true, ["month"]],
    ["auto: months from the start", "auto", "month", 1_200, false, ["month"]],
  ])(
    "gives what each event summed by period gives (%s)",
    (_, choice, first, days, ordered, units) => {
      for (const zone of ["UTC", "America/New_York"]) {
        const all = events(3_000, days, ordered);
        const rows = new PeriodRows({
          choice,
          zone,
          rowKeep: ROW_KEEP,
          periodKeep: PERIOD_KEEP,
          max: 120,
          first,
        });
        for (const e of all) rows.add(e);
        const { rows: packed, periods } = rows.finish();
        const want = expected(all, zone, units);
        expect(fromPacked(packed)).toEqual(want.rows);
        expect(Object.keys(periods).sort()).toEqual([...units].sort());
        for (const unit of units) expect(fromPacked(periods[unit])).toEqual(want.periods[unit]);
      }
    },
  );

  it("keeps the fields asked for by either rows, and the model always", () => {
    const rows = new PeriodRows({
      choice: "month",
      zone: "UTC",
      rowKeep: eventModel,
      periodKeep: role,
      max: 120,
      first: "month",
    });
    for (const e of events(200, 60, true)) rows.add(e);
    const { rows: packed, periods } = rows.finish();
    const json = (p: unknown) => {
      const r = new UsageRows();
      r.sumPacked(p);
      return r.toJSON();
    };
    // A row's JSON: feature, agent, model, event model, role, WP, outcome, origin, ...
    const fields = (r: readonly unknown[]) => [r[0], r[1], r[3] !== null, r[4] !== null, r[5]];
    expect(new Set(json(packed).map((r) => JSON.stringify(fields(r))))).toEqual(
      new Set([JSON.stringify(["", null, true, false, null])]),
    );
    expect(new Set(json(periods.month).map((r) => JSON.stringify(fields(r))))).toEqual(
      new Set([JSON.stringify(["", null, false, true, null])]),
    );
    expect(new Set(json(periods.month).map((r) => r[2]))).toEqual(new Set(["m1", "m2", "m3"]));
  });
});
