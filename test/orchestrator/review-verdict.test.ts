import { describe, expect, it } from "vitest";
import { parseVerdict } from "../../src/orchestrator/review-verdict.js";

describe("parseVerdict", () => {
  it.each([
    ["a plain approval", "All good.\nVERDICT: APPROVED", { kind: "approved" }],
    ["markdown emphasis", "**Verdict:** approved", { kind: "approved" }],
    [
      "feedback after a rejection",
      "VERDICT: REJECTED\nAdd tests.\n",
      { kind: "rejected", feedback: "Add tests." },
    ],
    [
      "feedback only before it",
      "The API has no tests.\n\nVERDICT: REJECTED",
      { kind: "rejected", feedback: "The API has no tests." },
    ],
    [
      "the last verdict line wins",
      "VERDICT: REJECTED\nfix\nVERDICT: APPROVED",
      { kind: "approved" },
    ],
    ["no verdict line", "I looked at it.", { kind: "none" }],
    ["no text at all", null, { kind: "none" }],
    ["the word inside a sentence", "no VERDICT: APPROVED here", { kind: "none" }],
  ] as const)("%s", (_name, text, verdict) => {
    expect(parseVerdict(text)).toEqual(verdict);
  });
});
