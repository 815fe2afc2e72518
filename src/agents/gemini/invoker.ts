import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import { stringRecord } from "../../events/string-record.js";
import type { AgentInvoker, InvocationResult, InvokerOptions, ModelUsage } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { totalsOf } from "../model-usage.js";
import { type AgentRun, invocationResult, jsonRecords, minusKnown } from "../output-records.js";

const Count = Type.Integer({ minimum: 0 });

const ModelTokensSchema = Type.Object({
  input: Type.Optional(Count),
  prompt: Type.Optional(Count),
  candidates: Type.Optional(Count),
  cached: Type.Optional(Count),
  thoughts: Type.Optional(Count),
  tool: Type.Optional(Count),
});
type ModelTokens = Static<typeof ModelTokensSchema>;

const ErrorSchema = Type.Object({
  type: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  code: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
});

// `-o json`: one object with the answer, per-model stats, and `error` on failure.
const JsonOutput = lazyCompile(
  Type.Object({
    session_id: Type.Optional(Type.String()),
    response: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    stats: Type.Optional(
      Type.Object({
        models: Type.Optional(
          stringRecord(
            Type.Object({
              tokens: Type.Optional(ModelTokensSchema),
              roles: Type.Optional(stringRecord(Type.Unknown())),
            }),
          ),
        ),
      }),
    ),
    error: Type.Optional(ErrorSchema),
  }),
);

// `-o stream-json`: init, message deltas, ..., and a final result line.
const StreamInit = lazyCompile(
  Type.Object({
    type: Type.Literal("init"),
    session_id: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
  }),
);
const StreamMessage = lazyCompile(
  Type.Object({ type: Type.Literal("message"), role: Type.String(), content: Type.String() }),
);
const StreamResultSchema = Type.Object({
  type: Type.Literal("result"),
  status: Type.String(),
  error: Type.Optional(ErrorSchema),
  stats: Type.Optional(
    Type.Object({
      total_tokens: Type.Optional(Count),
      input_tokens: Type.Optional(Count),
      output_tokens: Type.Optional(Count),
      cached: Type.Optional(Count),
      input: Type.Optional(Count),
      models: Type.Optional(
        stringRecord(
          Type.Object({
            total_tokens: Type.Optional(Count),
            input_tokens: Type.Optional(Count),
            output_tokens: Type.Optional(Count),
            cached: Type.Optional(Count),
            input: Type.Optional(Count),
          }),
        ),
      ),
    }),
  ),
});
const StreamResult = lazyCompile(StreamResultSchema);

/** Gemini CLI: `gemini -o json`, the prompt on stdin. */
export function createGeminiInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "gemini",
      command: "gemini",
      usesStdin: true,
      args: (_prompt, role, modelFlags) => [
        "--output-format",
        "json",
        // Without trust, Gemini silently drops the approval mode back to `default`.
        "--skip-trust",
        "--approval-mode",
        role === "reviewer" ? "plan" : "yolo",
        ...modelFlags,
      ],
      parse: parseGeminiOutput,
    },
    options,
  );
}

/** Reads Gemini's json or stream-json output; an error object may be on stderr instead. */
export const parseGeminiOutput: OutputParser = (run) => {
  const { records, exitCode, requestedModel } = run;
  const result = records.findLast((r) => StreamResult.Check(r));
  if (result !== undefined) {
    return parseStream(run, result);
  }
  // Since 0.39 a failed json run prints its error object on stderr, and nothing on stdout.
  const output = [...records, ...jsonRecords(run.stderr)].find((r) => JsonOutput.Check(r));
  if (output === undefined) {
    return invocationResult(run, {
      success: false,
      errors: exitCode === 0 ? ["the output has no Gemini result"] : [],
      usage: { model: requestedModel },
    });
  }
  const models = Object.entries(output.stats?.models ?? {});
  const perModel = models.map(([model, m]) => modelUsage(model, m.tokens ?? {}));
  // The router/utility model answers too: the main one has role `main`, else wrote the most.
  const main =
    models.find(([, m]) => m.roles?.main !== undefined) ??
    models.toSorted(([, a], [, b]) => (b.tokens?.candidates ?? 0) - (a.tokens?.candidates ?? 0))[0];
  return invocationResult(run, {
    // A success always carries the response; an object with neither is not Gemini's.
    success: output.error === undefined && typeof output.response === "string",
    errors: output.error
      ? [describeError(output.error)]
      : typeof output.response === "string"
        ? []
        : ["the output has no Gemini result"],
    usage: {
      ...totalsOf(perModel),
      // Gemini bills no cache writes: left unrecorded, as it always was.
      cacheWriteTokens: null,
      models: perModel,
      model: main?.[0] ?? requestedModel,
    },
    sessionId: output.session_id,
    responseText: output.response,
  });
};

/**
 * One model's tokens: `prompt` includes `cached`; `tool` (tool-use prompt) is input too;
 * `thoughts` are output. So input + cache read + output equals Gemini's `total`, every token
 * counted once. Gemini has no cache writes (implicit caching is billed as reads only).
 */
function modelUsage(model: string, t: ModelTokens): ModelUsage {
  const uncached = t.input ?? minusKnown(t.prompt ?? null, t.cached) ?? 0;
  return {
    model,
    inputTokens: uncached + (t.tool ?? 0),
    outputTokens: (t.candidates ?? 0) + (t.thoughts ?? 0),
    cacheReadTokens: t.cached ?? 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: t.thoughts ?? 0,
    costUsd: null,
    requests: [],
  };
}

function parseStream(run: AgentRun, result: Static<typeof StreamResultSchema>): InvocationResult {
  const { records, requestedModel } = run;
  const init = records.find((r) => StreamInit.Check(r));
  const stats = result.stats ?? {};
  const ranked = Object.entries(stats.models ?? {}).toSorted(
    ([, a], [, b]) => (b.output_tokens ?? 0) - (a.output_tokens ?? 0),
  );
  // `init.model` may be "auto", which is not the model that answered.
  const initModel = init?.model && init.model !== "auto" ? init.model : null;
  const text = records
    .filter((r) => StreamMessage.Check(r))
    .filter((m) => m.role === "assistant")
    .map((m) => m.content)
    .join("");
  const prompt = stats.input_tokens ?? null;
  // Per model (since 2026-03): output is what is not prompt, thoughts included, as for the total.
  const perModel = ranked.map(
    ([model, m]): ModelUsage => ({
      model,
      inputTokens: m.input ?? minusKnown(m.input_tokens ?? null, m.cached) ?? 0,
      outputTokens:
        m.total_tokens === undefined
          ? (m.output_tokens ?? 0)
          : (minusKnown(m.total_tokens, m.input_tokens) ?? 0),
      cacheReadTokens: m.cached ?? 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
      costUsd: null,
      requests: [],
    }),
  );
  // Kept only when they add up to the run's figures: older results split no cache per model.
  const sum = (pick: (m: ModelUsage) => number) => perModel.reduce((n, m) => n + pick(m), 0);
  const adds =
    sum((m) => m.inputTokens + m.cacheReadTokens) === (prompt ?? 0) &&
    sum((m) => m.cacheReadTokens) === (stats.cached ?? 0);
  return invocationResult(run, {
    success: result.status === "success",
    errors: result.error
      ? [describeError(result.error)]
      : result.status === "success"
        ? []
        : [result.status],
    usage: {
      model: ranked[0]?.[0] ?? initModel ?? requestedModel,
      models: adds ? perModel : [],
      inputTokens: stats.input ?? minusKnown(prompt, stats.cached),
      cacheReadTokens: stats.cached ?? null,
      // Thoughts are only inside total_tokens: output is whatever is not prompt.
      outputTokens:
        stats.total_tokens === undefined
          ? (stats.output_tokens ?? null)
          : minusKnown(stats.total_tokens, prompt),
    },
    sessionId: init?.session_id,
    responseText: text === "" ? null : text,
  });
}

function describeError(error: Static<typeof ErrorSchema>): string {
  const message = error.message ?? "unknown error";
  return error.type && error.type !== "Error" ? `${error.type}: ${message}` : message;
}
