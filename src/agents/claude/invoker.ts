import { type Static, Type } from "typebox";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentInvoker, InvokerOptions, Usage } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { invocationResult, sumKnown } from "../output-records.js";
import { rootRefusal } from "./preflight.js";

const Count = Type.Integer({ minimum: 0 });
const Usd = Type.Number({ minimum: 0 });

const ApiUsage = Type.Object({
  input_tokens: Type.Optional(Count),
  output_tokens: Type.Optional(Count),
  cache_creation_input_tokens: Type.Optional(Count),
  cache_read_input_tokens: Type.Optional(Count),
  output_tokens_details: Type.Optional(Type.Object({ thinking_tokens: Type.Optional(Count) })),
});

const ModelUsage = Type.Object({
  inputTokens: Type.Optional(Count),
  outputTokens: Type.Optional(Count),
  cacheReadInputTokens: Type.Optional(Count),
  cacheCreationInputTokens: Type.Optional(Count),
  costUSD: Type.Optional(Usd),
});

// The final record of `-p --output-format json|stream-json`. Older builds wrote `cost_usd`.
const ResultSchema = Type.Object({
  type: Type.Literal("result"),
  subtype: Type.Optional(Type.String()),
  is_error: Type.Optional(Type.Boolean()),
  result: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  session_id: Type.Optional(Type.String()),
  total_cost_usd: Type.Optional(Usd),
  cost_usd: Type.Optional(Usd),
  usage: Type.Optional(ApiUsage),
  modelUsage: Type.Optional(Type.Record(Type.String(), ModelUsage)),
  api_error_status: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  errors: Type.Optional(Type.Array(Type.Unknown())),
});
const ResultRecord = lazyCompile(ResultSchema);

const AssistantRecord = lazyCompile(
  Type.Object({
    type: Type.Literal("assistant"),
    session_id: Type.Optional(Type.String()),
    message: Type.Object({
      id: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
      usage: Type.Optional(ApiUsage),
    }),
  }),
);

const InitRecord = lazyCompile(
  Type.Object({
    type: Type.Literal("system"),
    subtype: Type.Literal("init"),
    model: Type.Optional(Type.String()),
    session_id: Type.Optional(Type.String()),
  }),
);

type Result = Static<typeof ResultSchema>;
type ApiUsageShape = Static<typeof ApiUsage>;

/** Claude Code: `claude -p --output-format stream-json --verbose`, the prompt on stdin. */
export function createClaudeInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "claude",
      command: "claude",
      usesStdin: true,
      args: (_prompt, role, modelFlags) => [
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        // Headless runs cannot answer permission prompts; a reviewer only needs to read.
        "--permission-mode",
        role === "reviewer" ? "plan" : "bypassPermissions",
        ...modelFlags,
      ],
      parse: parseClaudeOutput,
      preflight: (role, env) => rootRefusal(role, env, process.getuid?.()),
    },
    options,
  );
}

/** Reads Claude Code's json (object or, with verbose on, array) or stream-json output. */
export const parseClaudeOutput: OutputParser = (run) => {
  const { records, exitCode, requestedModel } = run;
  const init = records.find((r) => InitRecord.Check(r));
  const assistants = records.filter((r) => AssistantRecord.Check(r));
  const result = records.findLast((r) => ResultRecord.Check(r));
  const lastAssistant = assistants.at(-1);
  const streamModel = init?.model ?? lastAssistant?.message.model ?? null;
  const sessionId = result?.session_id ?? init?.session_id ?? lastAssistant?.session_id ?? null;
  // One line per content block repeats its message's usage snapshot: keep the last per message.
  const perMessage = new Map(assistants.map((a, i) => [a.message.id ?? i, a.message.usage]));
  const streamedUsage = sumApiUsage([...perMessage.values()].filter((u) => u !== undefined));
  if (result === undefined) {
    // Killed or cut short before the result: the messages it did stream were billed all the same.
    const usage = streamedUsage;
    return invocationResult(run, {
      success: false,
      errors: exitCode === 0 ? ["the output has no result record"] : [],
      usage: { ...usage, model: streamModel ?? requestedModel },
      sessionId,
    });
  }
  const failed =
    result.is_error === true ||
    result.subtype !== "success" ||
    (typeof result.api_error_status === "number" && result.api_error_status >= 400);
  return invocationResult(run, {
    success: !failed,
    errors: failed ? resultErrors(result) : [],
    usage: {
      // Amp's Claude-compatible stream has no usage on its result: the messages have it.
      ...(result.usage === undefined && result.modelUsage === undefined
        ? streamedUsage
        : resultUsage(result)),
      model: mainModel(result) ?? streamModel ?? requestedModel,
    },
    sessionId,
    responseText: result.result ?? null,
  });
};

function resultErrors(result: Result): string[] {
  const listed = (result.errors ?? []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
  if (listed.length > 0) return listed;
  if (result.is_error === true && result.result) return [result.result];
  return [result.subtype ?? "error"];
}

/**
 * `usage` covers the main agent only, `modelUsage` every model, and each under-counts in some
 * builds (2.0.3x left modelUsage's input at 0): each bucket takes the larger of the two.
 */
function resultUsage(result: Result): Partial<Usage> {
  const perModel = Object.values(result.modelUsage ?? {});
  const main = result.usage ?? {};
  const larger = (a: number | undefined, b: number | null) =>
    a === undefined ? b : Math.max(a, b ?? 0);
  return {
    inputTokens: larger(main.input_tokens, sumKnown(perModel.map((m) => m.inputTokens))),
    outputTokens: larger(main.output_tokens, sumKnown(perModel.map((m) => m.outputTokens))),
    cacheReadTokens: larger(
      main.cache_read_input_tokens,
      sumKnown(perModel.map((m) => m.cacheReadInputTokens)),
    ),
    cacheWriteTokens: larger(
      main.cache_creation_input_tokens,
      sumKnown(perModel.map((m) => m.cacheCreationInputTokens)),
    ),
    reasoningTokens: main.output_tokens_details?.thinking_tokens ?? null,
    costUsd: result.total_cost_usd ?? result.cost_usd ?? sumKnown(perModel.map((m) => m.costUSD)),
  };
}

/** The model that cost the most (then wrote the most): helpers such as Haiku cost less. */
function mainModel(result: Result): string | null {
  const ranked = Object.entries(result.modelUsage ?? {}).sort(
    ([, a], [, b]) =>
      (b.costUSD ?? 0) - (a.costUSD ?? 0) || (b.outputTokens ?? 0) - (a.outputTokens ?? 0),
  );
  return ranked[0]?.[0] ?? null;
}

function sumApiUsage(usages: readonly ApiUsageShape[]): Partial<Usage> {
  return {
    inputTokens: sumKnown(usages.map((u) => u.input_tokens)),
    outputTokens: sumKnown(usages.map((u) => u.output_tokens)),
    cacheReadTokens: sumKnown(usages.map((u) => u.cache_read_input_tokens)),
    cacheWriteTokens: sumKnown(usages.map((u) => u.cache_creation_input_tokens)),
  };
}
