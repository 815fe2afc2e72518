import { describe, expect, it } from "vitest";
import { PicoSum } from "../../src/telemetry/money.js";

describe("PicoSum", () => {
  it("stays exact when a safe amount takes the running sum past 2^53", () => {
    const sum = new PicoSum();
    sum.addSafe(2 ** 52 - 1);
    sum.addSafe(2 ** 53 - 2); // the true sum, 3 x 2^52 - 3, is odd: a double rounds it
    expect(sum.total).toBe(3n * 2n ** 52n - 3n);
  });
});
