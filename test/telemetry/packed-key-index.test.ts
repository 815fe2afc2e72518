import { describe, expect, it } from "vitest";
import { fnvKeyHash, PackedKeyIndex } from "../../src/telemetry/packed-key-index.js";

// Rows of 3 integers, the key their first 2 (as packed rows: key fields, then a flag).
const WIDTH = 3;
const KEY = 2;

function indexOf(rows: number[][], hash = fnvKeyHash): PackedKeyIndex {
  const keys = rows.flat();
  const index = new PackedKeyIndex(keys, WIDTH, KEY, hash);
  for (let row = 0; row < rows.length; row++) index.add(row);
  return index;
}

describe("packed rows found by their key", () => {
  const rows = [
    [0, -1, 0],
    [1, 0, 1],
    [0, -1, 1], // the key of row 0 again: row 0 is the first of it
    [-1, 0, 0],
    [0, 1, 0],
  ];

  // A hash every key shares puts every row in one chain: only the integers tell them apart.
  it.each([
    ["FNV-1a", fnvKeyHash],
    ["one hash for every key", () => 7],
  ])("finds the first row of each key, and none of a key it lacks (%s)", (_, hash) => {
    const index = indexOf(rows, hash);
    expect(index.find([0, -1])).toBe(0);
    expect(index.find([1, 0])).toBe(1);
    expect(index.find([-1, 0])).toBe(3);
    expect(index.find([0, 1])).toBe(4);
    expect(index.find([1, 1])).toBe(-1);
    expect(index.find([0, 0])).toBe(-1);
  });

  it("finds rows added after it was made, read from the same growing list", () => {
    const keys = rows.flat();
    const index = new PackedKeyIndex(keys, WIDTH, KEY, () => 1);
    for (let row = 0; row < rows.length; row++) index.add(row);
    keys.push(5, 5, 0);
    index.add(rows.length);
    expect(index.find([5, 5])).toBe(rows.length);
    expect(index.find([0, -1])).toBe(0);
  });

  it("refuses rows added out of their order", () => {
    const index = new PackedKeyIndex(rows.flat(), WIDTH, KEY);
    expect(() => index.add(1)).toThrow(RangeError);
  });
});
