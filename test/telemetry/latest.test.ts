import { describe, expect, it } from "vitest";
import { Latest } from "../../src/telemetry/latest.js";

/** A small deterministic generator (xorshift), so that failures repeat. */
function numbers(seed: number, count: number, range: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return Math.abs(x) % range;
  });
}

describe("Latest: the N greatest items, in bounded memory", () => {
  it.each([
    [1, 1, 0],
    [1, 1000, 10],
    [10, 1000, 5],
    [10, 5, 100],
    [37, 2000, 1000],
    [500, 2000, 50],
  ])(
    "limit %i of %i items in 0..%i agrees with sort-and-slice, never holding more",
    (limit, count, range) => {
      for (const seed of [1, 2, 3]) {
        // Pairs with ties on the first member; the second breaks them, as the event id does.
        const items = numbers(seed, count, range + 1).map((v, i) => [v, i] as const);
        const order = (a: readonly [number, number], b: readonly [number, number]) =>
          a[0] - b[0] || a[1] - b[1];
        const latest = new Latest(limit, order);
        let most = 0;
        for (const item of items) {
          latest.add(item);
          most = Math.max(most, latest.size);
        }
        const expected = [...items].sort(order).slice(-limit);
        expect([latest.sorted(), most]).toEqual([expected, Math.min(limit, count)]);
      }
    },
  );

  it("refuses a limit below 1", () => {
    expect(() => new Latest(0, () => 0)).toThrow(RangeError);
  });
});
