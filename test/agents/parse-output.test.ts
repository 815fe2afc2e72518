import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseClaudeOutput } from "../../src/agents/claude/invoker.js";
import { parseCodexOutput } from "../../src/agents/codex/invoker.js";
import type { InvocationResult } from "../../src/agents/contract.js";
import { parseCopilotOutput } from "../../src/agents/copilot/invoker.js";
import { parseCursorOutput } from "../../src/agents/cursor/invoker.js";
import { parseGeminiOutput } from "../../src/agents/gemini/invoker.js";
import { parseOpencodeOutput } from "../../src/agents/opencode/invoker.js";
import { agentRun } from "../../src/agents/output-records.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const OUTPUTS = join(FIXTURES, "agent-outputs");
// Paths are under agent-outputs/ (copied from ../shared), or our own agent-captures/.
const read = (path: string) =>
  readFileSync(
    path.startsWith("agent-captures/") ? join(FIXTURES, path) : join(OUTPUTS, path),
    "utf8",
  );

// Amp's stream is Claude-compatible and there is no amp invoker: the Claude parser reads it.
const PARSERS = {
  claude: parseClaudeOutput,
  amp: parseClaudeOutput,
  codex: parseCodexOutput,
  gemini: parseGeminiOutput,
  opencode: parseOpencodeOutput,
  copilot: parseCopilotOutput,
  cursor: parseCursorOutput,
} as const;
type Parser = keyof typeof PARSERS;

/** What each file says, worked out by hand (see FORMATS.md for the rules applied). */
interface Expected {
  readonly success: boolean;
  readonly model: string | null;
  /** [input (uncached), cache read, cache write, output (reasoning included), reasoning] */
  readonly tokens: readonly [
    number | null,
    number | null,
    number | null,
    number | null,
    number | null,
  ];
  readonly costUsd: number | null;
  readonly error: string | null;
  readonly sessionId: string | null;
}

const N = null;

// [parser, fixture (under test/fixtures), exit code, stream the file is on, expected]
const TABLE: readonly [Parser, string, number, "stdout" | "stderr", Expected][] = [
  // Claude: is_error and subtype decide, not the exit code; per bucket the larger of usage and
  // the sum of modelUsage; main model = highest costUSD; cost = total_cost_usd.
  [
    "claude",
    "claude/json-result-success.v2.1.4.json",
    0,
    "stdout",
    {
      success: true,
      model: "claude-opus-4-5-20251101",
      tokens: [38, 28775, 31159, 765, N],
      costUsd: 0.24722425,
      error: N,
      sessionId: "40e7b02d-c0f9-4876-9010-f514d4eb0603",
    },
  ],
  [
    "claude",
    "claude/json-result-success-two-models.v2.0.x.json",
    0,
    "stdout",
    {
      success: true,
      model: "claude-sonnet-4-5-20250929",
      tokens: [9, 36391, 12871, 774 + 407, N],
      // Output tokens only (the 2.0.30-2.0.32 bug): kept apart as untrusted.
      costUsd: N,
      error: N,
      sessionId: "550e8400-e29b-41d4-a716-446655440001",
    },
  ],
  [
    "claude",
    "claude/json-result-success-no-modelUsage.v2.1.234.json",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [2, 25638, 7937, 4, 0],
      costUsd: 0.18459799999999998,
      error: N,
      sessionId: "f57aa1f6-192f-4b78-bd30-b300bf97e233",
    },
  ],
  [
    "claude",
    "claude/json-result-api-error-401.v2.1.234.json",
    0,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [0, 0, 0, 0, N],
      costUsd: 0,
      error: "Failed to authenticate. API Error: 401 API key is invalid.",
      sessionId: "0d44fee5-8e3e-43e7-85bf-bfcb3b3c4dfa",
    },
  ],
  [
    "claude",
    "claude/json-result-error_during_execution.v1.0.x.json",
    0,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [112, 1120129, 58211, 6814, N],
      costUsd: 0.6571631500000001,
      error: "error_during_execution",
      sessionId: "xxxxxxxxx",
    },
  ],
  [
    "claude",
    "claude/json-result-error_max_turns.v2.0.x.json",
    0,
    "stdout",
    {
      success: false,
      model: "claude-sonnet-4-5-20250929",
      tokens: [3, 14981, 8999, 353 + 11043, N],
      costUsd: N,
      error: "error_max_turns",
      sessionId: "550e8400-e29b-41d4-a716-446655440002",
    },
  ],
  [
    "claude",
    "claude/stream-json-basic.v2.1.7.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "claude-opus-4-5-20251101",
      tokens: [10, 0, 21570, 25, N],
      costUsd: 0.1354875,
      error: N,
      sessionId: "1d1e46f9-35c7-4834-b529-846d5bb82288",
    },
  ],
  [
    "claude",
    "claude/stream-json-excerpt-thinking-ratelimit.v2.1.234.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "claude-fable-5",
      tokens: [4, 31452, 31725, 224, 24],
      costUsd: 0.677192,
      error: N,
      sessionId: "8c97f2a2-2ed9-4453-b193-15848ae3a3e5",
    },
  ],
  [
    "claude",
    "claude/stream-json-two-models-excerpt.v2.0.76.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "claude-opus-4-5-20251101",
      tokens: [2823 + 5, 59073, 30316, 270 + 1587, N],
      costUsd: 0.26288449999999997,
      error: N,
      sessionId: "707c48df-3786-4b9f-ac05-a93054f0a542",
    },
  ],
  [
    "claude",
    "claude/stream-json-tooluse-excerpt.v1.0.x.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "claude-sonnet-4-20250514",
      tokens: [193, 4940732, 118318, 35620, N],
      costUsd: 2.4637934999999995,
      error: N,
      sessionId: "13fd3e32-9028-43ba-9306-4e08bca82525",
    },
  ],
  [
    "claude",
    "claude/stream-json-result-error_during_execution-resume-miss.v2.1.227.jsonl",
    1,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [0, 0, 0, 0, N],
      costUsd: 0,
      error: "No conversation found with session ID: <ID>",
      sessionId: "<ID>",
    },
  ],
  // No result record (a stream cut short): failed; the streamed messages' usage, deduplicated.
  [
    "claude",
    "claude/stream-json-system-init.v2.1.3.json",
    0,
    "stdout",
    {
      success: false,
      model: "claude-opus-4-5-20251101",
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: "the output has no result record",
      sessionId: "40e7b02d-c0f9-4876-9010-f514d4eb0603",
    },
  ],
  [
    "claude",
    "claude/stream-json-assistant-line.v2.1.4.json",
    0,
    "stdout",
    {
      success: false,
      model: "claude-opus-4-5-20251101",
      tokens: [10, 17254, 3556, 4, N],
      costUsd: N,
      error: "the output has no result record",
      sessionId: "40e7b02d-c0f9-4876-9010-f514d4eb0603",
    },
  ],
  [
    "claude",
    "claude/session-log-assistant-lines.v2.0.29.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: "claude-sonnet-4-5-20250929",
      tokens: [3, 12203, 12718, 1, N],
      costUsd: N,
      error: "the output has no result record",
      sessionId: N,
    },
  ],
  // The real 2.1.197 killed at the second call: stdout's snapshot (output 1; the session log,
  // not under this test's HOME, has 345: test/agents/claude/session-log.test.ts).
  [
    "claude",
    "claude/stream-json-killed-while-hanging.v2.1.197.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: "claude-sonnet-4-5",
      tokens: [1200, 20_000, 5000, 1, N],
      costUsd: N,
      error: "the output has no result record",
      sessionId: "f8fb872b-e32e-4011-8f27-bb6d808f4997",
    },
  ],
  [
    "claude",
    "claude/session-log-killed-while-hanging.v2.1.197.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: "claude-sonnet-4-5",
      tokens: [1200, 20_000, 5000, 345, N],
      costUsd: N,
      error: "the output has no result record",
      sessionId: N,
    },
  ],
  [
    "claude",
    "agent-captures/claude-2.1.197-root-bypass.stderr.txt",
    1,
    "stderr",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error:
        "the agent exited with code 1: --dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
      sessionId: N,
    },
  ],
  [
    "amp",
    "amp/stream-json-official-announcement-example.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [12783, 12416, 367, 8, N],
      costUsd: N,
      error: N,
      sessionId: "T-2775dc92-90ed-4f85-8b73-8f9766029e83",
    },
  ],
  // Codex: input includes cached (subtract); no model, no cost; turn.failed is the failure.
  [
    "codex",
    "codex/exec-json-simple.v0.46.0.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [2946, 0, N, 7, N],
      costUsd: N,
      error: N,
      sessionId: "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5",
    },
  ],
  [
    "codex",
    "codex/exec-json-command-execution.v0.46.0.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [6040 - 4992, 4992, N, 129, N],
      costUsd: N,
      error: N,
      sessionId: "019a2d7a-6455-7170-a661-c6d8b94c630a",
    },
  ],
  [
    "codex",
    "codex/exec-json-official-docs-sample.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [24763 - 24448, 24448, N, 122, N],
      costUsd: N,
      error: N,
      sessionId: "0199a213-81c0-7800-8aa1-bbab2a035a53",
    },
  ],
  [
    "codex",
    "codex/exec-json-command-and-reasoning-tokens.v0.148.x.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [30744 - 26112, 26112, 0, 90, 8],
      costUsd: N,
      error: N,
      sessionId: "01a03f0e-36f0-7261-bdf5-b99dea835eb7",
    },
  ],
  [
    "codex",
    "codex/exec-json-success-pong.v0.149.0.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [18293 - 6912, 6912, 0, 6, 0],
      costUsd: N,
      error: N,
      sessionId: "01a02ac4-a618-7f10-a528-c07b0cc55ee2",
    },
  ],
  [
    "codex",
    "codex/exec-json-turn-failed-bad-model.v0.149.0.jsonl",
    1,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error:
        "The 'definitely-not-a-real-model' model is not supported when using Codex with a ChatGPT account.",
      sessionId: "01a02ac5-169e-79f2-91a8-8ec3ae756bb4",
    },
  ],
  [
    "codex",
    "codex/exec-json-LEGACY-pre-0.44-excerpt.2025-09.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: "gpt-5",
      tokens: [314781 - 231424, 231424, N, 2317, 1664],
      costUsd: N,
      error: "the output has no turn.completed record",
      sessionId: N,
    },
  ],
  [
    "codex",
    "codex/session-rollout-excerpt.v0.40.0.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: "gpt-5-codex",
      tokens: [10559 - 9344, 9344, N, 724, 512],
      costUsd: N,
      error: "the output has no turn.completed record",
      sessionId: "01997e76-d124-7592-9cac-2ec05abbca08",
    },
  ],
  [
    "codex",
    "agent-captures/codex-0.169.0-no-network-timeout.stdout.jsonl",
    124,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: "the agent exited with code 124",
      sessionId: "01a20aff-30b2-7b91-86cb-35766010b0fd",
    },
  ],
  // Gemini: prompt includes cached; tool prompt is input; thoughts are output; summed over
  // models; the main model by role, else the most candidates. No cost.
  [
    "gemini",
    "gemini/json-two-models.v0.11.0.json",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-2.5-pro",
      tokens: [15526 + 3814 + 43, 0, N, 20 + 113 + 7 + 45, 113 + 45],
      costUsd: N,
      error: N,
      sessionId: N,
    },
  ],
  [
    "gemini",
    "gemini/json-official-docs-example.json",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-2.5-pro",
      tokens: [24939 - 21263 + 8965 + 28, 21263, N, 20 + 154 + 10 + 30, 154 + 30],
      costUsd: N,
      error: N,
      sessionId: N,
    },
  ],
  [
    "gemini",
    "gemini/json-success-roles-two-models.v0.39.0.json",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-3-flash-preview",
      tokens: [4577 + 9655, 0, N, 29 + 146 + 9, 146],
      costUsd: N,
      error: N,
      sessionId: "f2510f7a-b06d-4f13-a2dc-b073db5703b6",
    },
  ],
  [
    "gemini",
    "gemini/json-error-auth-code41.v0.24.0.json",
    41,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: "Please set an Auth method in your /Users/robert/.gemini/settings.json...",
      sessionId: "b2b90938-611f-4bd0-adf6-829e14549653",
    },
  ],
  [
    "gemini",
    "gemini/json-error-auth-code41-on-stderr.v0.39.0.json",
    41,
    "stderr",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error:
        "Please set an Auth method in your /tmp/tmp.11fZVZ4MTv/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA",
      sessionId: "c0b55a93-601a-42f8-a148-2f76fcf0cdb7",
    },
  ],
  [
    "gemini",
    "agent-captures/gemini-0.61.0-no-auth.stderr.txt",
    41,
    "stderr",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error:
        "Please set an Auth method in your /tmp/agent-clis/probe/home/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA",
      sessionId: "8d1a070a-70c2-41fb-88ca-150f0ed16512",
    },
  ],
  // stream-json: output = total - prompt (thoughts are only inside the total).
  [
    "gemini",
    "gemini/stream-json-simple.v0.11.0.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-2.5-pro",
      tokens: [7352, N, N, 7386 - 7352, N],
      costUsd: N,
      error: N,
      sessionId: "2aa2472d-f175-41f6-a5a9-fd4f42cc345a",
    },
  ],
  [
    "gemini",
    "gemini/stream-json-tool-write-file.v0.11.0.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-2.5-pro",
      tokens: [10902, N, N, 11054 - 10902, N],
      costUsd: N,
      error: N,
      sessionId: "f96c76b0-f4ed-448c-833c-16856e3585c7",
    },
  ],
  [
    "gemini",
    "gemini/stream-json-result-per-model-cached.2026-06.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "gemini-3-flash-preview",
      tokens: [21772, 11879, N, 35682 - 33651, N],
      costUsd: N,
      error: N,
      sessionId: "38359eb7-c8e9-48e9-b419-49ce72440d9d",
    },
  ],
  [
    "gemini",
    "gemini/stream-json-result-error-FatalTurnLimited.2025-11.jsonl",
    53,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [7862, N, N, 8255 - 7862, N],
      costUsd: N,
      error:
        "FatalTurnLimitedError: Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.",
      sessionId: N,
    },
  ],
  // OpenCode: steps summed; output + reasoning; cost 0 means unknown; an error exits 0.
  [
    "opencode",
    "opencode/run-format-json-simple-turn.v1.14.25.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [14406, 1840, 0, 21, 0],
      costUsd: N,
      error: N,
      sessionId: "ses_236c713fcffel8QozOz4ca0AYK",
    },
  ],
  [
    "opencode",
    "opencode/run-format-json-step-finish-with-cost.2025-09.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [11087, 0, 0, 145, 0],
      costUsd: 0.0070147,
      error: N,
      sessionId: "ses_6783457c2ffeICANaRjenHkVxv",
    },
  ],
  [
    "opencode",
    "opencode/run-format-json-tool-use.v1.14.25.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: N,
      sessionId: "ses_236c6de07ffeMCaCIVqcZsSjBi",
    },
  ],
  [
    "opencode",
    "opencode/run-format-json-error-invalid-model-exit0.v1.14.25.jsonl",
    0,
    "stdout",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: "UnknownError: Model not found: nonexistent/nonexistent.",
      sessionId: "ses_236c4ba84ffeKJLGiwxfHIx8Au",
    },
  ],
  // Copilot: output tokens only.
  [
    "copilot",
    "copilot/output-format-json-simple-session.v1.0.13.sanitized-ids.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "claude-opus-4.6",
      tokens: [N, N, N, 6, N],
      costUsd: N,
      error: N,
      sessionId: "aa778ea0-6eab-4ce9-b87e-11d6d33dab4f",
    },
  ],
  [
    "copilot",
    "copilot/output-format-json-result-line.v1.0.13.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: N,
      sessionId: "aa778ea0-6eab-4ce9-b87e-11d6d33dab4f",
    },
  ],
  [
    "copilot",
    "agent-captures/copilot-1.0.102-no-auth.stderr.txt",
    1,
    "stderr",
    {
      success: false,
      model: N,
      tokens: [N, N, N, N, N],
      costUsd: N,
      error:
        "the agent exited with code 1: • Run 'gh auth login' to authenticate with the GitHub CLI",
      sessionId: N,
    },
  ],
  // Cursor: usage only in newer builds; init.model is a display name.
  [
    "cursor",
    "cursor/json-result-with-usage.v2026.09.x.reflowed-elided.json",
    0,
    "stdout",
    {
      success: true,
      model: N,
      tokens: [15809, 7808, 0, 45, N],
      costUsd: N,
      error: N,
      sessionId: "008be211-…",
    },
  ],
  [
    "cursor",
    "cursor/stream-json-no-usage.v2026.01.28.jsonl",
    0,
    "stdout",
    {
      success: true,
      model: "Claude 4.5 Opus (Thinking)",
      tokens: [N, N, N, N, N],
      costUsd: N,
      error: N,
      sessionId: "fdc86797-fa4a-4660-8737-8ab3dbb42f70",
    },
  ],
];

function parse(parser: Parser, text: string, exitCode: number, on: "stdout" | "stderr") {
  const [stdout, stderr] = on === "stdout" ? [text, ""] : ["", text];
  return PARSERS[parser](agentRun(stdout, stderr, exitCode, 1.5, null));
}

function telemetryOf(r: InvocationResult): Expected {
  return {
    success: r.success,
    model: r.model,
    tokens: [
      r.inputTokens,
      r.cacheReadTokens,
      r.cacheWriteTokens,
      r.outputTokens,
      r.reasoningTokens,
    ],
    costUsd: r.costUsd,
    error: r.errors[0] ?? null,
    sessionId: r.sessionId,
  };
}

describe("agent output parsers on real recorded outputs", () => {
  it("the table covers every shared fixture", () => {
    const files = readdirSync(OUTPUTS, { recursive: true, encoding: "utf8" })
      .filter((f) => !f.endsWith(".md") && f.includes("/"))
      .sort();
    expect(files).toEqual(
      [...new Set(TABLE.map(([, file]) => file))]
        .filter((f) => !f.startsWith("agent-captures/"))
        .sort(),
    );
  });

  it.each(TABLE)("%s parses %s (exit %i on %s)", (parser, file, exitCode, on, expected) => {
    expect(telemetryOf(parse(parser, read(file), exitCode, on))).toEqual(expected);
  });
});

// Cut at the middle, cut before the last character, and one line only: a stream killed early.
const VARIANTS: readonly [string, (text: string) => string][] = [
  ["the first half", (t) => t.slice(0, Math.floor(t.length / 2))],
  ["all but the last character", (t) => t.slice(0, -1)],
  ["numbers turned into strings", (t) => t.replace(/(?<=[:[,]\s*)(\d+(\.\d+)?)/g, '"$1"')],
  [
    "nulls for every value",
    (t) => t.replace(/(?<=":\s*)("[^"]*"|\d+(\.\d+)?|true|false)/g, "null"),
  ],
  ["binary noise", (t) => Buffer.from(t).reverse().toString("latin1")],
];
const GARBAGE = [
  "",
  "\n\n",
  "null",
  "[]",
  "[1,2",
  "{",
  '{"type":"result"}',
  "Segmentation fault",
  "\u0000\u0001",
];

describe("agent output parsers on damaged output", () => {
  const damaged = TABLE.flatMap(([parser, file, exitCode, on]) =>
    VARIANTS.map(
      ([name, damage]) => [parser, file, name, damage(read(file)), exitCode, on] as const,
    ),
  );

  it.each(damaged)(
    "%s on %s, %s: a result, never an exception",
    (parser, _f, _v, text, exitCode, on) => {
      const r = parse(parser, text, exitCode, on);
      const counts = [
        r.inputTokens,
        r.outputTokens,
        r.cacheReadTokens,
        r.cacheWriteTokens,
        r.reasoningTokens,
      ];
      expect({
        counts: counts.every((n) => n === null || (Number.isSafeInteger(n) && n >= 0)),
        cost: r.costUsd === null || (Number.isFinite(r.costUsd) && r.costUsd >= 0),
        failureHasError: r.success || r.errors.length > 0,
      }).toEqual({ counts: true, cost: true, failureHasError: true });
    },
  );

  it.each(
    Object.keys(PARSERS).flatMap((parser) =>
      GARBAGE.map((text) => [parser as Parser, text] as const),
    ),
  )("%s on garbage %j: failed, without usage", (parser, text) => {
    const r = parse(parser, text, 0, "stdout");
    expect({
      success: r.success,
      errors: r.errors.length > 0,
      tokens: telemetryOf(r).tokens,
    }).toEqual({
      success: false,
      errors: true,
      tokens: [null, null, null, null, null],
    });
  });
});
