import { describe, expect, it } from "vitest";
import { CountSum } from "../../src/telemetry/count-sum.js";

const big = Number.MAX_SAFE_INTEGER;

function sumOf(counts: readonly number[]): CountSum {
  const sum = new CountSum();
  for (const count of counts) sum.add(count);
  return sum;
}

describe("CountSum", () => {
  it.each<[string, number[], bigint]>([
    ["small counts", [1, 2, 3], 6n],
    ["up to 2^53 - 1", [big - 1, 1], BigInt(big)],
    ["just past 2^53 (a double gives 2^53)", [big, 2], BigInt(big) + 2n],
    ["2^54 - 1 (a double gives 2^54)", [big, big, 1], 2n * BigInt(big) + 1n],
    ["many large counts", Array(1000).fill(big), 1000n * BigInt(big)],
  ])("%s", (_, counts, expected) => {
    expect(sumOf(counts).total).toBe(expected);
  });

  it.each<[number[], number | string]>([
    [[1, 2], 3],
    [[big, 2], "9007199254740993"],
  ])("writes %j as a number while it is safe, as digits past it", (counts, json) => {
    const sum = sumOf(counts);
    expect(sum.toJSON()).toEqual(json);
    expect(CountSum.fromJSON(sum.toJSON())?.total).toBe(sum.total);
  });

  it("adds a sum that has carried into a bigint", () => {
    const a = sumOf([big, big]);
    a.addSum(sumOf([big, 5]));
    expect(a.total).toBe(3n * BigInt(big) + 5n);
  });

  it.each([-1, 1.5, "1e3", "-4", "", null, 2 ** 53])("refuses %j as a sum's JSON", (value) => {
    expect(CountSum.fromJSON(value)).toBeNull();
  });
});
