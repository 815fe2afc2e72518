import { describe, expect, it } from "vitest";
import { indexOrAdd } from "../../src/telemetry/string-index.js";

describe("indexOrAdd", () => {
  it("numbers each distinct value once, in the order first seen, after those already held", () => {
    const values = ["a"];
    const index = new Map([["a", 0]]);
    const got = ["b", "a", "c", "b"].map((v) => indexOrAdd(values, index, v));
    expect(got).toEqual([1, 0, 2, 1]);
    expect(values).toEqual(["a", "b", "c"]);
  });
});
