import { describe, expect, it } from "vitest";
import { ALL_KEY_FIELDS, RowTable } from "../../src/telemetry/row-table.js";
import { EventFields, LongContextFields } from "../../src/telemetry/scan/event-fields.js";
import { UsageRows } from "../../src/telemetry/usage-rows.js";

function fields(values: Partial<EventFields>): EventFields {
  return Object.assign(new EventFields(), { aggregateId: "043-x", model: "m", ...values });
}

// The table a scan sums into: rows found by the numbers of their keys' texts, sums in doubles
// that carry into a bigint before they would round.
describe("the row table", () => {
  it("keeps each key's row as it grows from 4 rows to thousands", () => {
    const table = new RowTable();
    for (let round = 0; round < 3; round++) {
      for (let wp = 0; wp < 3000; wp++) {
        table.add(fields({ wpId: `WP${wp}`, inputTokens: wp }), null, ALL_KEY_FIELDS);
      }
    }
    expect(table.size).toBe(3000);
    const rows = [0, 1, 2999].map((r) => [table.keyOf(r).wpId, table.sumsOf(r).slice(0, 6)]);
    expect(rows).toEqual([
      ["WP0", [3, 0, 0, 3, 0, 0]],
      ["WP1", [3, 0, 0, 3, 0, 3]],
      ["WP2999", [3, 0, 0, 3, 0, 8997]],
    ]);
  });

  it.each([
    ["tokens", { inputTokens: Number.MAX_SAFE_INTEGER }, 5, "27021597764222973"],
    // 9,000 USD is 9e15 pico-dollars (safe); three of them are not.
    ["pico-dollars reported", { costUsd: 9000 }, 4, "27000000000000000"],
  ])("sums %s past 2^53 exactly", (_, values, at, total) => {
    const table = new RowTable();
    for (let i = 0; i < 3; i++) table.add(fields(values), null, ALL_KEY_FIELDS);
    expect(table.sumsOf(0)[at]).toBe(total);
  });

  it("keeps rows apart by period, and gives them to a set as rows of their own", () => {
    const rows = new UsageRows();
    for (const period of ["2026-02-16", "2026-02-17", "2026-02-16"])
      rows.add(fields({ inputTokens: 1 }), period);
    expect([...rows].map((r) => [r.key.period, r.eventCount])).toEqual([
      ["2026-02-16", 2],
      ["2026-02-17", 1],
    ]);
  });

  // A set that only summed events takes a few rows as a list, many as packed rows (a scan's):
  // either way the same rows, in the order their keys first came.
  it.each([3, 40])("gives a set its %i rows alike however it keeps them", (keys) => {
    const rows = new UsageRows();
    for (let round = 0; round < 2; round++) {
      for (let wp = 0; wp < keys; wp++) rows.add(fields({ wpId: `WP${wp}`, outputTokens: wp }));
    }
    expect(rows.size).toBe(keys);
    expect([...rows].map((r) => [r.key.wpId, r.eventCount, r.outputTokens.total])).toEqual(
      Array.from({ length: keys }, (_, wp) => [`WP${wp}`, 2, BigInt(2 * wp)]),
    );
  });

  // A set that only summed events writes its JSON from the table (a dashboard's range, rows by
  // period): the very JSON its rows of objects write.
  it.each([
    ["without periods", null],
    ["by period", "2026-02-16"],
  ])("writes the same JSON from the table as from its rows (%s)", (_, period) => {
    const events = [
      fields({ wpId: "WP01", inputTokens: Number.MAX_SAFE_INTEGER, costUsd: 0.25 }),
      fields({ wpId: "WP01", inputTokens: Number.MAX_SAFE_INTEGER, success: false }),
      fields({ wpId: "WP02", agent: "codex", source: "emit" }),
      (() => {
        const e = fields({ wpId: "WP03", inputTokens: 300_000 });
        const model = e.nextModel();
        Object.assign(model, { model: "m", inputTokens: 300_000, outputTokens: 7 });
        const above = Object.assign(new LongContextFields(), {
          aboveTokens: 200_000,
          inputTokens: 100_000,
        });
        model.addLongContext(above);
        return e;
      })(),
    ];
    const fromTable = new UsageRows();
    const fromRows = new UsageRows();
    for (const e of events) {
      fromTable.add(e, period);
      fromRows.add(e, period);
    }
    expect(fromRows.size).toBe(4); // its rows made
    expect(JSON.stringify(fromTable)).toBe(JSON.stringify(fromRows));
  });

  // A dashboard's ranges send their rows packed; the main thread sums them into one table.
  it.each([
    ["a few rows", 3],
    ["many rows", 40],
  ])("sums packed parts as it sums their events (%s)", (_, keys) => {
    const event = (wp: number, part: number) => {
      const e = fields({ wpId: `WP${wp}`, success: part % 2 === 0 ? null : false });
      if (wp === 1) e.inputTokens = Number.MAX_SAFE_INTEGER;
      if (wp === 2) e.costUsd = 0.5;
      if (wp === 0) {
        const model = e.nextModel();
        Object.assign(model, { model: "m", inputTokens: 300_000, outputTokens: part });
        model.addLongContext(
          Object.assign(new LongContextFields(), { aboveTokens: 200_000, inputTokens: 99 }),
        );
      }
      return e;
    };
    const whole = new UsageRows();
    const pooled = new UsageRows();
    for (let part = 0; part < 3; part++) {
      const rows = new UsageRows();
      // WP1 twice: its part's input tokens past 2^53, odd (decimal text in the packed sums).
      const extra = event(1, part);
      extra.inputTokens = 2;
      rows.add(extra);
      whole.add(extra);
      for (let wp = 0; wp < keys; wp++) {
        rows.add(event(wp, part));
        whole.add(event(wp, part));
      }
      expect(pooled.sumPacked(rows.toPacked())).toBe(true);
    }
    expect(pooled.sumPacked({ strings: [], keys: [0], sums: [] })).toBe(false);
    expect(JSON.stringify(pooled)).toBe(JSON.stringify(whole));
  });

  // Rows by period go packed with their periods (a dashboard's ranges), pooled the same way.
  it("sums packed parts with their periods as it sums their events", () => {
    const whole = new UsageRows();
    const pooled = new UsageRows();
    for (const periods of [
      ["2026-01", "2026-02"],
      ["2026-02", "2026-03"],
    ]) {
      const rows = new UsageRows();
      for (const period of periods) {
        for (const agent of ["claude", "codex"]) {
          const e = fields({ agent, inputTokens: 5, costUsd: period === "2026-02" ? 0.25 : NaN });
          rows.add(e, period);
          whole.add(e, period);
        }
      }
      const packed = rows.packedByPeriod();
      expect(packed?.periods.length).toBe(4);
      expect(pooled.sumPacked(packed)).toBe(true);
      expect(pooled.sumPacked({ ...packed, periods: [0] })).toBe(false);
    }
    expect(pooled.packedByPeriod()).not.toBeNull(); // still only summed
    expect(whole.size).toBe(6);
    expect(whole.packedByPeriod()).toBeNull(); // its rows made: JSON instead
    expect(JSON.stringify(pooled)).toBe(JSON.stringify(whole));
  });
});
