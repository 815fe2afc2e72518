import { describe, expect, it } from "vitest";
import { mayHint } from "../../src/telemetry/filter-hints.js";
import { type EventFilter, parseFilter } from "../../src/telemetry/query.js";

// A report gathers the values of the rows it sums only when a hint could need them.
describe("mayHint", () => {
  it.each<[EventFilter, boolean]>([
    [{}, false],
    [{ since: "2026-01-01" }, false],
    [{ success: false }, false],
    [{ agent: "claude" }, true],
    [{ model: "m" }, true],
    [{ role: "reviewer" }, true],
    [{ wpId: "WP01" }, true],
    [{ origin: ["import"] }, true],
  ])("for %j is %s", (filter, expected) => {
    expect(mayHint(parseFilter(filter))).toBe(expected);
  });
});
