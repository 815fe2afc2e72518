import { describe, expect, it, vi } from "vitest";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import {
  ALL_KEY_FIELDS,
  KEY_FIELD_BITS,
  UsageRow,
  UsageRows,
} from "../../src/telemetry/usage-rows.js";

/** A copy of `row` whose key keeps only the fields of `keep`, the others emptied (as a scan does). */
function projected(row: UsageRow, keep: number): UsageRow {
  const k = row.key;
  const kept = <T>(bit: number, value: T, empty: T) => (keep & bit ? value : empty);
  const copy = new UsageRow({
    aggregateId: kept(KEY_FIELD_BITS.aggregateId, k.aggregateId, ""),
    agent: kept(KEY_FIELD_BITS.agent, k.agent, null),
    model: k.model,
    eventModel: kept(KEY_FIELD_BITS.eventModel, k.eventModel, null),
    role: kept(KEY_FIELD_BITS.role, k.role, null),
    wpId: kept(KEY_FIELD_BITS.wpId, k.wpId, null),
    success: kept(KEY_FIELD_BITS.success, k.success, null),
    source: kept(KEY_FIELD_BITS.source, k.source, null),
    period: k.period,
  });
  copy.merge(row);
  return copy;
}

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

// The cache's form (toPacked): rows kept as a string table and two flat lists, decoded one at
// a time. Sums past 2^53 (tokens, pico-dollars) travel as decimal text and come back exact.
describe("usage rows packed for the cache", () => {
  const BIG = "123456789012345678901234567890";
  // Row JSON (see UsageRow.toJSON): key (8), counts, tokens, reported, no-usage, estimates,
  // the first band's sums, the long-context bands (or null).
  const rowJson = [
    [
      "043-x",
      "claude",
      "m",
      "m",
      "implementer",
      "WP01",
      true,
      "emit",
      3,
      0,
      5,
      6,
      7,
      8,
      9,
      1,
      2,
    ].concat([5, 6, 7, 8, 0, null] as never[]),
    ["043-x", null, null, null, null, null, null, null, 1, 1, BIG, 0, 0, 0, BIG, 0, 1].concat([
      BIG,
      0,
      0,
      0,
      0,
      Array.from({ length: 15 }, (_, i) => (i === 3 ? BIG : i)),
    ] as never[]),
    ["044-y", "codex", "", "gpt", null, "WP02", false, null, 2, 0, 1, 1, 1, 1, 0, 0, 0].concat([
      0,
      0,
      0,
      0,
      0,
      null,
    ] as never[]),
  ];
  const unpacked = fromJson(rowJson);

  const packedOf = (json: unknown): UsageRows => {
    const rows = new UsageRows();
    expect(rows.addPacked(JSON.parse(JSON.stringify(json)))).toBe(true);
    return rows;
  };

  it("read back into the same rows, big sums, bands and nulls included", () => {
    const packed = packedOf(unpacked.toPacked());
    expect([...packed].map((r) => r.toJSON())).toEqual(rowJson);
    expect(packed.toPacked()).toEqual(unpacked.toPacked());
    expect(packed.toJSON()).toEqual(rowJson);
  });

  it.each([
    ["an event added", (rows: UsageRows) => rows.add(fields("emit"))],
    ["rows merged", (rows: UsageRows) => rows.merge([...fromJson(rowJson)])],
    ["more packed rows added", (rows: UsageRows) => void rows.addPacked(unpacked.toPacked())],
  ])("find their rows when %s after", (_, more) => {
    const packed = packedOf(unpacked.toPacked());
    more(packed);
    const eager = fromJson(rowJson);
    more(eager);
    expect(packed.toJSON()).toEqual(eager.toJSON());
    expect(packed.size).toBe(eager.size);
  });

  it("take an append's rows beside them undecoded, and pack one row per key again", () => {
    const packed = packedOf(unpacked.toPacked());
    const appended = fromJson([rowJson[0], rowJson[2]]);
    packed.merge(appended);
    // Listed apart (the packed rows were not decoded to merge), summed alike.
    expect([...packed]).toHaveLength(rowJson.length + 2);
    const eager = fromJson(rowJson);
    eager.merge(appended);
    const total = (rows: UsageRows) =>
      [...rows].reduce((t, r) => t + r.inputTokens.total + r.reported.total, 0n);
    expect(total(packed)).toBe(total(eager));
    expect(packed.toPacked()).toEqual(eager.toPacked());
    expect(packed.size).toBe(eager.size);
  });

  // A save after an append packs the cached rows with the appended ones: summed in their
  // packed form (no cached row decoded), as decoding them all and packing again would.
  const [r0, r1, r2] = rowJson as [unknown[], unknown[], unknown[]];
  const withBands = (row: unknown[], bands: unknown[]) => [...row.slice(0, -1), bands];
  const bandsOf15 = Array.from({ length: 15 }, (_, i) => i + 1);
  const appends: [string, unknown[][]][] = [
    ["rows of keys it has and of keys it has not", [r0, r2]],
    ["a row with the long-context bands into one without", [withBands(r0, bandsOf15)]],
    ["a row without the bands into one with", [r1]],
    [
      "sums past 2^53 into sums past 2^53",
      [
        withBands(
          r1,
          bandsOf15.map(() => BIG),
        ),
      ],
    ],
    [
      "a new key whose strings are new",
      [["045-z", "gemini", "g", "g", "r", "WP9", null, "import"].concat(r2.slice(8) as never[])],
    ],
    [
      "an event count that passes 2^53 (decoded then)",
      [r0.map((v, i) => (i === 8 ? Number.MAX_SAFE_INTEGER : v))],
    ],
  ];
  it.each(appends)("pack %s as decoded rows do", (name, more) => {
    const packed = packedOf(unpacked.toPacked());
    packed.merge(fromJson(more));
    const eager = fromJson(rowJson);
    eager.merge(fromJson(more));
    const decode = vi.spyOn(UsageRow, "fromPacked");
    try {
      expect(packed.toPacked()).toEqual(eager.toPacked());
      expect(decode).toHaveBeenCalledTimes(name.includes("decoded") ? rowJson.length : 0);
    } finally {
      decode.mockRestore();
    }
  });

  // An append's scan packs its rows too: merged into the cached packed rows as they are, one
  // packed table (no row of either decoded), as decoding both and merging them would.
  it.each(appends)("sum packed rows of %s into packed rows as decoded rows do", (name, more) => {
    const packed = packedOf(unpacked.toPacked());
    const appended = packedOf(fromJson(more).toPacked());
    const decode = vi.spyOn(UsageRow, "fromPacked");
    try {
      packed.merge(appended);
      // Row by row only when a count passes 2^53 (the appended row decoded to be merged).
      expect(decode).toHaveBeenCalledTimes(name.includes("decoded") ? 1 : 0);
    } finally {
      decode.mockRestore();
    }
    const eager = fromJson(rowJson);
    eager.merge(fromJson(more));
    expect(packed.toPacked()).toEqual(eager.toPacked());
    if (!name.includes("decoded")) expect([...packed]).toHaveLength(eager.size);
  });

  // A report that keeps only some key fields pools each log's rows so (src/telemetry/scan/
  // log-tallies.ts): from the packed sums, without decoding a row, as from decoded rows.
  it.each([
    ["nothing but the model", 0],
    ["the agent", KEY_FIELD_BITS.agent],
    ["the outcome and the origin", KEY_FIELD_BITS.success | KEY_FIELD_BITS.source],
    ["the feature and the WP", KEY_FIELD_BITS.aggregateId | KEY_FIELD_BITS.wpId],
    ["the event's model and the role", KEY_FIELD_BITS.eventModel | KEY_FIELD_BITS.role],
    ["every field", ALL_KEY_FIELDS],
  ])("pool into rows of %s as decoded rows do", (_, keep) => {
    const packed = packedOf(unpacked.toPacked());
    packed.merge(fromJson([rowJson[0], rowJson[2]]));
    const pool = new UsageRows();
    pool.add(fields("emit"), null, keep);
    const eager = new UsageRows();
    eager.add(fields("emit"), null, keep);
    pool.mergeProjected(packed, keep);
    for (const row of packed) eager.merge([projected(row, keep)]);
    expect(pool.toJSON()).toEqual(eager.toJSON());
    expect(pool.size).toBeLessThanOrEqual(rowJson.length + 1);
  });

  const good = () => JSON.parse(JSON.stringify(unpacked.toPacked()));
  type Packed = { strings: unknown[]; keys: unknown[]; sums: unknown[] };
  it.each<[string, (p: Packed) => void]>([
    ["a string index past the table", (p) => (p.keys[1] = p.strings.length)],
    ["a null aggregate id", (p) => (p.keys[0] = -1)],
    ["an outcome that is not -1, 0 or 1", (p) => (p.keys[7] = 2)],
    ["a band flag of -1", (p) => (p.keys[8] = -1)],
    ["a fractional index", (p) => (p.keys[2] = 0.5)],
    ["a key list cut short", (p) => p.keys.pop()],
    ["a sum missing", (p) => p.sums.pop()],
    ["a sum too many", (p) => p.sums.push(0)],
    ["a negative sum", (p) => (p.sums[6] = -1)],
    ["a fractional sum", (p) => (p.sums[6] = 1.5)],
    ["an event count as text", (p) => (p.sums[0] = "3")],
    ["a sum as text that is not digits", (p) => (p.sums[6] = "1e30")],
    ["a string that is not one", (p) => (p.strings[0] = 7)],
  ])("are refused whole with %s", (_, spoil) => {
    const packed = good();
    expect(new UsageRows().addPacked(packed)).toBe(true);
    spoil(packed);
    const rows = new UsageRows();
    expect(rows.addPacked(packed)).toBe(false);
    expect(rows.size).toBe(0);
  });
});

// Rows are found first among those found lately, by a cheap hash of the key (usage-rows.ts
// #recentRow): a hash shared by two keys, or a row merged away, must never take an event.
describe("usage rows looked up by a recent key", () => {
  const event = (wpId: string, agent = "claude") => {
    const e = fields("emit");
    Object.assign(e, { wpId, agent });
    return e;
  };

  it.each([
    ["keys whose hash is alike (they differ only in their first character)", "Xa-b1", "Ya-b1"],
    ["keys of one text made apart (two strings, one value)", "WP01", ["WP", "01"].join("")],
  ])("keep apart what differs and together what is equal: %s", (_, a, b) => {
    const rows = new UsageRows();
    for (let i = 0; i < 6; i++) rows.add(event(i % 3 === 0 ? a : b));
    const counts = [...rows].map((r) => [r.key.wpId, r.eventCount]);
    expect(counts).toEqual(
      a === b
        ? [[a, 6]]
        : [
            [a, 2],
            [b, 4],
          ],
    );
  });

  it("find the merged row, not a row let go, after packed rows are decoded", () => {
    const earlier = new UsageRows();
    earlier.add(event("WP07"));
    const rows = new UsageRows();
    expect(rows.addPacked(JSON.parse(JSON.stringify(earlier.toPacked())))).toBe(true);
    rows.add(event("WP07")); // listed beside the packed row, until they are decoded
    expect(rows.size).toBe(1); // decoded and indexed: the two rows of WP07 merged into one
    rows.add(event("WP07"));
    rows.add(event("WP07", "codex"));
    expect([...rows].map((r) => [r.key.agent, r.eventCount])).toEqual([
      ["claude", 3],
      ["codex", 1],
    ]);
  });
});
