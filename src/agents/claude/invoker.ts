import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import { stringRecord } from "../../events/string-record.js";
import type { AgentInvoker, InvokerOptions, ModelUsage, RequestUsage, Usage } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { ifExact, sumRequests, totalsOf } from "../model-usage.js";
import { invocationResult, sumKnown } from "../output-records.js";
import { ApiUsage, type ApiUsageShape, largestUsage } from "./api-usage.js";
import { rootRefusal } from "./preflight.js";
import { readClaudeSessionLog } from "./session-log.js";

const Count = Type.Integer({ minimum: 0 });
const Usd = Type.Number({ minimum: 0 });

const ModelUsageEntry = Type.Object({
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
  modelUsage: Type.Optional(stringRecord(ModelUsageEntry)),
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
    claude_code_version: Type.Optional(Type.String()),
  }),
);

// With --include-partial-messages: the API's own events, whose message_delta has the final output.
const PartialEvent = lazyCompile(
  Type.Object({
    type: Type.Literal("stream_event"),
    event: Type.Union([
      Type.Object({
        type: Type.Literal("message_start"),
        message: Type.Object({
          id: Type.String(),
          model: Type.Optional(Type.String()),
          usage: Type.Optional(ApiUsage),
        }),
      }),
      Type.Object({ type: Type.Literal("message_delta"), usage: Type.Optional(ApiUsage) }),
    ]),
    parent_tool_use_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
);

type Result = Static<typeof ResultSchema>;

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
      readRunFiles: readClaudeSessionLog,
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
  const requests = streamedRequests(records, streamModel ?? requestedModel);
  if (result === undefined || (result.usage === undefined && result.modelUsage === undefined)) {
    // Killed or cut short before the result (or Amp, whose result has no usage): the messages it
    // did stream were billed all the same.
    const usage = {
      ...streamedTotals(requests),
      models: modelsOfRequests(requests),
      model: streamModel ?? requestedModel,
    };
    if (result === undefined) {
      return invocationResult(run, {
        success: false,
        errors: exitCode === 0 ? ["the output has no result record"] : [],
        usage,
        sessionId,
      });
    }
    return invocationResult(run, {
      success: !failed(result),
      errors: failed(result) ? resultErrors(result) : [],
      usage,
      sessionId,
      responseText: result.result ?? null,
    });
  }
  const version = init?.claude_code_version ?? null;
  const outputOnly = reportsOutputOnly(result, version);
  const main = mainModel(result, streamModel) ?? streamModel ?? requestedModel;
  const models = resultModels(result, main, requests);
  const cost = reportedCost(result) ?? sumKnown(models.map((m) => m.costUsd));
  const warnings = outputOnly
    ? [
        `Claude Code ${version ?? "2.0.3x"} reported $${cost} counting output tokens only ` +
          "(a known bug of that build): not trusted, the cost is estimated; the prompt tokens " +
          "of models other than the main one are unknown",
      ]
    : [];
  return invocationResult(run, {
    success: !failed(result),
    errors: failed(result) ? resultErrors(result) : [],
    warnings,
    usage: {
      ...(models.length > 0 ? totalsOf(models) : resultTotals(result)),
      reasoningTokens: result.usage?.output_tokens_details?.thinking_tokens ?? null,
      models: outputOnly ? models.map((m) => ({ ...m, costUsd: null })) : models,
      costUsd: outputOnly ? null : cost,
      untrustedCostUsd: outputOnly ? cost : null,
      model: main,
    },
    sessionId,
    responseText: result.result ?? null,
  });
};

/** The run's cost as Claude Code reported it (`cost_usd` before mid-2025). */
function reportedCost(result: Result): number | undefined {
  return result.total_cost_usd ?? result.cost_usd;
}

function failed(result: Result): boolean {
  return (
    result.is_error === true ||
    result.subtype !== "success" ||
    (typeof result.api_error_status === "number" && result.api_error_status >= 400)
  );
}

function resultErrors(result: Result): string[] {
  const listed = (result.errors ?? []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
  if (listed.length > 0) return listed;
  if (result.is_error === true && result.result) return [result.result];
  return [result.subtype ?? "error"];
}

/**
 * Claude Code 2.0.30 to 2.0.32 wrote 0 prompt tokens for every model in `modelUsage` and priced
 * their output only (run against a local server: 2.0.26, 2.0.29, 2.0.33 to 2.1.4 did not).
 * A result without a version (`--output-format json`) shows it by the same zeros beside a
 * `usage` that did read a prompt.
 */
function reportsOutputOnly(result: Result, version: string | null): boolean {
  const perModel = Object.values(result.modelUsage ?? {});
  if (perModel.length === 0) return false;
  if (version !== null && BAD_COST_VERSIONS.has(version)) return true;
  const prompt = (u: ApiUsageShape | undefined) =>
    (u?.input_tokens ?? 0) +
    (u?.cache_read_input_tokens ?? 0) +
    (u?.cache_creation_input_tokens ?? 0);
  const noModelPrompt = perModel.every(
    (m) =>
      (m.inputTokens ?? 0) + (m.cacheReadInputTokens ?? 0) + (m.cacheCreationInputTokens ?? 0) ===
      0,
  );
  return noModelPrompt && prompt(result.usage) > 0;
}

/** The builds whose reported cost counts output tokens only (see `reportsOutputOnly`). */
const BAD_COST_VERSIONS: ReadonlySet<string> = new Set(["2.0.30", "2.0.31", "2.0.32"]);

/**
 * The main model: the one the session ran (init or assistant lines) when `modelUsage` has it,
 * else the one that cost the most (then wrote the most): helpers such as Haiku cost less.
 */
function mainModel(result: Result, streamModel: string | null): string | null {
  const entries = Object.entries(result.modelUsage ?? {});
  if (streamModel !== null && entries.some(([m]) => m === streamModel)) return streamModel;
  const ranked = entries.sort(
    ([, a], [, b]) =>
      (b.costUSD ?? 0) - (a.costUSD ?? 0) || (b.outputTokens ?? 0) - (a.outputTokens ?? 0),
  );
  return ranked[0]?.[0] ?? null;
}

/**
 * Each model of `modelUsage`. Its `usage` covers the main model only, and each under-counts in
 * some build (2.0.31 left modelUsage's prompt tokens at 0): the main model takes the larger of
 * the two per class. The 1-hour part of the cache writes comes from the model's streamed
 * requests, else (main model) from `usage.cache_creation`.
 */
function resultModels(
  result: Result,
  main: string | null,
  requests: readonly StreamedRequest[],
): ModelUsage[] {
  const top = result.usage ?? {};
  const thinking = top.output_tokens_details?.thinking_tokens ?? 0;
  // No modelUsage (1.0.x, some 2.1.2xx json results): `usage` is the one model's, when named.
  const entries = Object.entries(
    result.modelUsage ?? (main === null || result.usage === undefined ? {} : { [main]: {} }),
  );
  return entries.map(([model, m]) => {
    const isMain = model === main;
    const larger = (own: number | undefined, usage: number | undefined) =>
      isMain ? Math.max(own ?? 0, usage ?? 0) : (own ?? 0);
    const classes = {
      inputTokens: larger(m.inputTokens, top.input_tokens),
      outputTokens: larger(m.outputTokens, top.output_tokens),
      cacheReadTokens: larger(m.cacheReadInputTokens, top.cache_read_input_tokens),
      cacheWriteTokens: larger(m.cacheCreationInputTokens, top.cache_creation_input_tokens),
    };
    const own = requests.filter((r) => r.model === model).map((r) => r.usage);
    const streamed1h = own.reduce((sum, r) => sum + r.cacheWrite1hTokens, 0);
    const reported1h = isMain ? (top.cache_creation?.ephemeral_1h_input_tokens ?? 0) : 0;
    const usage: RequestUsage = {
      ...classes,
      cacheWrite1hTokens: Math.min(classes.cacheWriteTokens, Math.max(streamed1h, reported1h)),
      reasoningTokens: isMain ? Math.min(thinking, classes.outputTokens) : 0,
    };
    // Without modelUsage the one model is the whole run: its cost is the total.
    const cost = result.modelUsage === undefined ? reportedCost(result) : m.costUSD;
    return { model, ...usage, costUsd: cost ?? null, requests: ifExact(usage, own) };
  });
}

/** A result with `usage` and no `modelUsage` (1.0.x, some 2.1.2xx json results). */
function resultTotals(result: Result): Partial<Usage> {
  const u = result.usage ?? {};
  return {
    inputTokens: u.input_tokens ?? null,
    outputTokens: u.output_tokens ?? null,
    cacheReadTokens: u.cache_read_input_tokens ?? null,
    cacheWriteTokens: u.cache_creation_input_tokens ?? null,
  };
}

/** One API call as the stream showed it. */
interface StreamedRequest {
  readonly model: string | null;
  readonly usage: RequestUsage;
}

/**
 * Every API call the stream shows, once: one assistant line per content block repeats its
 * message's usage, and the counts only grow (output is a snapshot until the message ends), so
 * each class takes the largest value seen for that message id. With --include-partial-messages
 * the message_delta event brings the final output count.
 */
function streamedRequests(
  records: readonly Record<string, unknown>[],
  defaultModel: string | null,
): StreamedRequest[] {
  const byId = new Map<string | number, { model: string | null; usages: ApiUsageShape[] }>();
  const openMessage = new Map<string | null, string>();
  const add = (
    id: string | number,
    model: string | undefined,
    usage: ApiUsageShape | undefined,
  ) => {
    const entry = byId.get(id) ?? { model: model ?? defaultModel, usages: [] };
    if (usage !== undefined) entry.usages.push(usage);
    byId.set(id, entry);
  };
  records.forEach((r, i) => {
    if (AssistantRecord.Check(r)) add(r.message.id ?? i, r.message.model, r.message.usage);
    else if (PartialEvent.Check(r)) {
      const parent = r.parent_tool_use_id ?? null;
      const event = r.event;
      if (event.type === "message_start") {
        openMessage.set(parent, event.message.id);
        add(event.message.id, event.message.model, event.message.usage);
      } else {
        const id = openMessage.get(parent);
        if (id !== undefined) add(id, undefined, event.usage);
      }
    }
  });
  return [...byId.values()]
    .filter((e) => e.usages.length > 0)
    .map(({ model, usages }) => ({ model, usage: largestUsage(usages) }));
}

/** The streamed requests grouped by model, when every one names its model (Amp's do not). */
function modelsOfRequests(requests: readonly StreamedRequest[]): ModelUsage[] {
  const byModel = new Map<string, RequestUsage[]>();
  for (const { model, usage } of requests) {
    if (model === null) return [];
    byModel.set(model, [...(byModel.get(model) ?? []), usage]);
  }
  return [...byModel].map(([model, own]) => ({
    model,
    ...sumRequests(own),
    costUsd: null,
    requests: own,
  }));
}

/** The sums of the streamed requests; reasoning is unknown (the stream does not count it). */
function streamedTotals(requests: readonly StreamedRequest[]): Partial<Usage> {
  if (requests.length === 0) return {};
  const sum = sumRequests(requests.map((r) => r.usage));
  return {
    inputTokens: sum.inputTokens,
    outputTokens: sum.outputTokens,
    cacheReadTokens: sum.cacheReadTokens,
    cacheWriteTokens: sum.cacheWriteTokens,
  };
}
