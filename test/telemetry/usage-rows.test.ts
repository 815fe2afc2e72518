import { describe, expect, it } from "vitest";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import { UsageRow, UsageRows } from "../../src/telemetry/usage-rows.js";

function fields(source: string | null): EventFields {
  const e = new EventFields();
  Object.assign(e, { aggregateId: "043-x", agent: "claude", model: "m", inputTokens: 5, source });
  return e;
}

describe("usage rows keep the events' origin", () => {
  it("apart by origin, and through their JSON (a worker's reply, the cache)", () => {
    const rows = new UsageRows();
    for (const source of ["import", "orchestrate", null, "import"]) rows.add(fields(source));
    expect([...rows].map((r) => [r.key.source, r.eventCount])).toEqual([
      ["import", 2],
      ["orchestrate", 1],
      [null, 1],
    ]);
    const again = new UsageRows();
    expect(again.addJSON(JSON.parse(JSON.stringify(rows)))).toBe(true);
    expect(again.toJSON()).toEqual(rows.toJSON());
  });

  it("refuses a row written before rows had an origin (a cache entry of version 6 is rebuilt)", () => {
    const row = new UsageRows();
    row.add(fields("emit"));
    const json = row.toJSON()[0] as unknown[];
    // The old key had 7 values: the origin (8th) removed.
    const old = [...json.slice(0, 7), ...json.slice(8)];
    expect(UsageRow.fromJSON(json)).not.toBeNull();
    expect(UsageRow.fromJSON(old)).toBeNull();
  });
});

// Rows read into an empty set are listed, not indexed, until one is looked up (a warm report
// with nothing appended never does): what a lookup finds must not depend on that.
describe("usage rows read from JSON into an empty set", () => {
  const written = (() => {
    const rows = new UsageRows();
    for (const source of ["import", "orchestrate", null]) rows.add(fields(source));
    return JSON.parse(JSON.stringify(rows)) as unknown[];
  })();

  it.each([
    ["an event added", (rows: UsageRows) => rows.add(fields("import"))],
    ["rows merged", (rows: UsageRows) => rows.merge([...fromJson(written)])],
    ["more JSON added", (rows: UsageRows) => void rows.addJSON(written)],
  ])("find their rows when %s after", (_, more) => {
    const lazy = fromJson(written);
    more(lazy);
    const eager = new UsageRows();
    for (const source of ["import", "orchestrate", null]) eager.add(fields(source));
    more(eager);
    expect(lazy.toJSON()).toEqual(eager.toJSON());
    expect(lazy.size).toBe(3);
  });

  it("merge rows listed twice under one key once they are looked up", () => {
    const twice = fromJson([...written, ...written]);
    twice.add(fields(null));
    expect(twice.size).toBe(3);
    expect([...twice].map((r) => [r.key.source, r.eventCount])).toEqual([
      ["import", 2],
      ["orchestrate", 2],
      [null, 3],
    ]);
  });
});

function fromJson(json: unknown): UsageRows {
  const rows = new UsageRows();
  expect(rows.addJSON(json)).toBe(true);
  return rows;
}
