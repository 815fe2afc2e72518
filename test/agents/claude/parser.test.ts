import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseClaudeOutput } from "../../../src/agents/claude/invoker.js";
import type { ModelUsage, RequestUsage } from "../../../src/agents/contract.js";
import { agentRun } from "../../../src/agents/output-records.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");
const read = (path: string) => readFileSync(join(FIXTURES, path), "utf8");
const parse = (stdout: string, exitCode: number | null = 0) =>
  parseClaudeOutput(agentRun(stdout, "", exitCode, 1, null));
/** The stream as a run killed before its result line left it. */
const withoutResult = (text: string) =>
  text
    .split("\n")
    .filter((l) => !l.includes('"type":"result"'))
    .join("\n");

/** [input, output, cache read, cache write, of which 1 hour, reasoning] */
type Classes = readonly [number, number, number, number, number, number];
const request = ([i, o, r, w, h, t]: Classes): RequestUsage => ({
  inputTokens: i,
  outputTokens: o,
  cacheReadTokens: r,
  cacheWriteTokens: w,
  cacheWrite1hTokens: h,
  reasoningTokens: t,
});
const model = (
  name: string,
  classes: Classes,
  costUsd: number | null,
  requests: readonly Classes[] = [],
): ModelUsage => ({ model: name, ...request(classes), costUsd, requests: requests.map(request) });

const SERVER_CALL: Classes = [1200, 345, 20_000, 5000, 1000, 0];

describe("Claude Code: each model's usage", () => {
  it.each([
    [
      "a Haiku helper beside the main model (2.0.76)",
      "agent-outputs/claude/stream-json-two-models-excerpt.v2.0.76.jsonl",
      "claude-opus-4-5-20251101",
      [
        model("claude-haiku-4-5-20251001", [2823, 270, 0, 0, 0, 0], 0.004173),
        // The stream's output counts are snapshots: its requests do not add up, so none is kept.
        model("claude-opus-4-5-20251101", [5, 1587, 59073, 30316, 0, 0], 0.2587115),
      ],
    ],
    [
      "1-hour cache writes and thinking (2.1.234)",
      "agent-outputs/claude/stream-json-excerpt-thinking-ratelimit.v2.1.234.jsonl",
      "claude-fable-5",
      [model("claude-fable-5", [4, 224, 31452, 31725, 31725, 24], 0.677192)],
    ],
    [
      "no modelUsage: the one model of `usage`, 5-minute writes (2.1.7)",
      "agent-outputs/claude/stream-json-basic.v2.1.7.jsonl",
      "claude-opus-4-5-20251101",
      [model("claude-opus-4-5-20251101", [10, 25, 0, 21570, 0, 0], 0.1354875)],
    ],
  ])("%s", (_what, file, main, models) => {
    const r = parse(read(file));
    expect({ model: r.model, models: r.models }).toEqual({ model: main, models });
    expect([r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens]).toEqual([
      models.reduce((n, m) => n + m.inputTokens, 0),
      models.reduce((n, m) => n + m.outputTokens, 0),
      models.reduce((n, m) => n + m.cacheReadTokens, 0),
      models.reduce((n, m) => n + m.cacheWriteTokens, 0),
    ]);
  });
});

describe("Claude Code: a run killed before its result keeps every API call it streamed", () => {
  it.each([
    [
      "three calls of one model, deduplicated by message id (2.0.76)",
      "agent-outputs/claude/stream-json-two-models-excerpt.v2.0.76.jsonl",
      [
        model("claude-opus-4-5-20251101", [5, 28, 59073, 30316, 0, 0], null, [
          [3, 4, 0, 28891, 0, 0],
          [1, 23, 28891, 1291, 0, 0],
          [1, 1, 30182, 134, 0, 0],
        ]),
      ],
    ],
    [
      "1-hour writes per call (2.1.234)",
      "agent-outputs/claude/stream-json-excerpt-thinking-ratelimit.v2.1.234.jsonl",
      [
        model("claude-fable-5", [4, 11, 31452, 31725, 31725, 0], null, [
          [2, 5, 0, 31452, 31452, 0],
          [2, 6, 31452, 273, 273, 0],
        ]),
      ],
    ],
    [
      "the same content block streamed twice counts once, its largest snapshot (1.0.x)",
      "agent-outputs/claude/stream-json-tooluse-excerpt.v1.0.x.jsonl",
      [
        model("claude-sonnet-4-20250514", [4, 305, 14465, 10093, 0, 0], null, [
          [4, 305, 14465, 10093, 0, 0],
        ]),
      ],
    ],
    [
      "the final output count of --include-partial-messages' message_delta (2.0.60)",
      "agent-captures/claude-2.0.60-local-server-partial-messages.stdout.jsonl",
      [model("claude-sonnet-4-5", SERVER_CALL, null, [SERVER_CALL])],
    ],
  ])("%s", (_what, file, models) => {
    const r = parse(withoutResult(read(file)), null);
    expect({ success: r.success, models: r.models, costUsd: r.costUsd }).toEqual({
      success: false,
      models,
      costUsd: null,
    });
    expect([r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens]).toEqual([
      models[0]?.inputTokens,
      models[0]?.outputTokens,
      models[0]?.cacheReadTokens,
      models[0]?.cacheWriteTokens,
    ]);
  });
});

describe("Claude Code: a reported cost known to be wrong is kept apart", () => {
  const captured = read("agent-captures/claude-2.0.31-local-server.stdout.jsonl");
  const healthy = read("agent-captures/claude-2.0.60-local-server.stdout.jsonl");

  it.each([
    // 2.0.31: modelUsage without prompt tokens, costUSD = output x output price.
    ["2.0.31, recorded against a local server", captured, 0.012074999999999999],
    // The same zeros in a json result, which names no version (2025-11-03, "Latest").
    [
      "a json result with the same zeros",
      read("agent-outputs/claude/json-result-success-two-models.v2.0.x.json"),
      0.013645,
    ],
    // A version of the bad range is not trusted even if its figures look whole.
    ["2.0.32 by its version", healthy.replace('"2.0.60"', '"2.0.32"'), 0.078225],
  ])("%s: cost null, the figure untrusted, a warning", (_what, stdout, reported) => {
    const r = parse(stdout);
    expect({
      costUsd: r.costUsd,
      untrustedCostUsd: r.untrustedCostUsd,
      modelCosts: r.models.map((m) => m.costUsd),
      warned: r.warnings.some((w) => w.includes("output tokens only")),
    }).toEqual({
      costUsd: null,
      untrustedCostUsd: reported,
      modelCosts: r.models.map(() => null),
      warned: true,
    });
  });

  it("2.0.31: the main model's tokens come from `usage`, its 1-hour writes and request from the stream", () => {
    expect(parse(captured).models).toEqual([
      model("claude-haiku-4-5-20251001", [0, 345, 0, 0, 0, 0], null),
      model("claude-sonnet-4-5-20250929", [0, 345, 0, 0, 0, 0], null),
      model("claude-sonnet-4-5", SERVER_CALL, null, [SERVER_CALL]),
    ]);
  });

  it("2.0.60 is trusted: every model's tokens and cost as reported", () => {
    const r = parse(healthy);
    expect({ costUsd: r.costUsd, untrusted: r.untrustedCostUsd, warnings: r.warnings }).toEqual({
      costUsd: 0.078225,
      untrusted: null,
      warnings: [],
    });
    expect(r.models.map((m) => [m.model, m.inputTokens, m.cacheWrite1hTokens])).toEqual([
      ["claude-haiku-4-5-20251001", 1200, 0],
      ["claude-sonnet-4-5-20250929", 1200, 0],
      ["claude-sonnet-4-5", 1200, 1000],
    ]);
  });
});
