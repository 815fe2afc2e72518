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
