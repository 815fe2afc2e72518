import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGeminiOutput } from "../../../src/agents/gemini/invoker.js";
import { agentRun } from "../../../src/agents/output-records.js";

const OUTPUTS = join(import.meta.dirname, "..", "..", "fixtures", "agent-outputs", "gemini");
const parse = (file: string) =>
  parseGeminiOutput(agentRun(readFileSync(join(OUTPUTS, file), "utf8"), "", 0, 1, null));

describe("Gemini CLI: each model's usage", () => {
  // [model, input (uncached + tool), output (candidates + thoughts), cache read, reasoning]
  it.each([
    [
      "json-success-roles-two-models.v0.39.0.json",
      [
        // The router thought more than the main model wrote.
        ["gemini-2.5-flash-lite", 4577, 29 + 146, 0, 146],
        ["gemini-3-flash-preview", 9655, 9, 0, 0],
      ],
    ],
    [
      "json-official-docs-example.json",
      [
        ["gemini-2.5-pro", 24939 - 21263, 20 + 154, 21263, 154],
        ["gemini-2.5-flash", 8965 + 28, 10 + 30, 0, 30],
      ],
    ],
    // stream-json before per-model cache counts: the split would not add up, so none is given.
    ["stream-json-result-per-model-cached.2026-06.jsonl", []],
  ])("%s", (file, expected) => {
    const { models } = parse(file);
    expect(
      models.map((m) => [
        m.model,
        m.inputTokens,
        m.outputTokens,
        m.cacheReadTokens,
        m.reasoningTokens,
      ]),
    ).toEqual(expected);
    expect(models.every((m) => m.cacheWriteTokens === 0 && m.costUsd === null)).toBe(true);
  });
});
