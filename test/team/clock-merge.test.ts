import { describe, expect, it } from "vitest";
import { mergeClockTexts } from "../../src/team/clock-merge.js";

describe("mergeClockTexts", () => {
  it.each([
    ['{"a": 3, "b": 1}', '{"a": 2, "c": 5}', '{"a": 3, "b": 1, "c": 5}'],
    ["", '{"a": 2}', '{"a": 2}'],
    ["not json", "", "{}"],
    // A side left with conflict markers by a merge made before the driver existed.
    [
      '<<<<<<< HEAD\n{"a": 7}\n=======\n{"a": 4, "b": 9}\n>>>>>>> x',
      '{"a": 5}',
      '{"a": 7, "b": 9}',
    ],
    ['{"a": -1, "b": 1.5, "c": "x"}', '{"d": 2}', '{"d": 2}'],
  ])("merges %j and %j into %j", (ours, theirs, merged) => {
    expect(mergeClockTexts(ours, theirs)).toBe(merged);
  });
});
