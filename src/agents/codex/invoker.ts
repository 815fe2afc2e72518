import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentInvoker, InvokerOptions, Usage } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { invocationResult, jsonRecords, minusKnown } from "../output-records.js";
import { readCodexRollout } from "./rollout.js";
import { type TokenUsage, TokenUsageSchema } from "./rollout-records.js";

const ThreadStarted = lazyCompile(
  Type.Object({ type: Type.Literal("thread.started"), thread_id: Type.String() }),
);
const TurnCompleted = lazyCompile(
  Type.Object({ type: Type.Literal("turn.completed"), usage: TokenUsageSchema }),
);
const TurnFailed = lazyCompile(
  Type.Object({
    type: Type.Literal("turn.failed"),
    error: Type.Optional(Type.Object({ message: Type.Optional(Type.String()) })),
  }),
);
const StreamError = lazyCompile(
  Type.Object({ type: Type.Literal("error"), message: Type.String() }),
);
const ItemCompleted = lazyCompile(
  Type.Object({
    type: Type.Literal("item.completed"),
    item: Type.Object({
      type: Type.String(),
      text: Type.Optional(Type.String()),
      message: Type.Optional(Type.String()),
    }),
  }),
);
// Before 0.44 the first line was the config (with the model) and usage came as token_count
// messages; rollout files under ~/.codex/sessions carry the same token_count payload.
const LegacyConfig = lazyCompile(Type.Object({ model: Type.String(), provider: Type.String() }));
const TokenCountInfo = Type.Object({
  type: Type.Literal("token_count"),
  info: Type.Object({ total_token_usage: TokenUsageSchema }),
});
const LegacyTokenCount = lazyCompile(Type.Object({ msg: TokenCountInfo }));
const RolloutTokenCount = lazyCompile(Type.Object({ payload: TokenCountInfo }));
const RolloutTurnContext = lazyCompile(
  Type.Object({
    type: Type.Literal("turn_context"),
    payload: Type.Object({ model: Type.String() }),
  }),
);
const RolloutMeta = lazyCompile(
  Type.Object({ type: Type.Literal("session_meta"), payload: Type.Object({ id: Type.String() }) }),
);
const LegacyTaskComplete = lazyCompile(
  Type.Object({ msg: Type.Object({ type: Type.Literal("task_complete") }) }),
);

const NestedApiError = lazyCompile(Type.Object({ error: Type.Object({ message: Type.String() }) }));

/** Codex CLI: `codex exec --json`, the prompt on stdin. */
export function createCodexInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "codex",
      command: "codex",
      usesStdin: true,
      args: (_prompt, role, modelFlags) => [
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--sandbox",
        role === "reviewer" ? "read-only" : "workspace-write",
        ...modelFlags,
      ],
      readRunFiles: readCodexRollout,
      parse: parseCodexOutput,
    },
    options,
  );
}

/** Reads `codex exec --json` (and recognises the pre-0.44 stream and rollout files). */
export const parseCodexOutput: OutputParser = (run) => {
  const { records, exitCode, requestedModel } = run;
  // The stream names no model: what we asked for is the best we know.
  const model =
    requestedModel ??
    records.find((r) => LegacyConfig.Check(r))?.model ??
    records.findLast((r) => RolloutTurnContext.Check(r))?.payload.model ??
    null;
  const sessionId =
    records.find((r) => ThreadStarted.Check(r))?.thread_id ??
    records.find((r) => RolloutMeta.Check(r))?.payload.id ??
    null;
  const messages = records.filter((r) => ItemCompleted.Check(r)).map((r) => r.item);
  const responseText = messages.findLast((i) => i.type === "agent_message")?.text ?? null;
  // Item errors and stream `error` events are retried or worked around: only warnings.
  const warnings = [
    ...messages.filter((i) => i.type === "error").map((i) => i.message ?? "error item"),
    ...records.filter((r) => StreamError.Check(r)).map((r) => unwrapMessage(r.message)),
  ];
  // The usage is the thread's running total, so the last report is the whole run.
  const lastUsage =
    records.findLast((r) => TurnCompleted.Check(r))?.usage ??
    records.findLast((r) => LegacyTokenCount.Check(r))?.msg.info.total_token_usage ??
    records.findLast((r) => RolloutTokenCount.Check(r))?.payload.info.total_token_usage;
  const completedIndex = records.findLastIndex(
    (r) => TurnCompleted.Check(r) || LegacyTaskComplete.Check(r),
  );
  const failedIndex = records.findLastIndex((r) => TurnFailed.Check(r));
  const failed = records[failedIndex];
  const success = completedIndex >= 0 && failedIndex < completedIndex;
  const errors = success
    ? []
    : TurnFailed.Check(failed)
      ? [unwrapMessage(failed.error?.message ?? "turn failed")]
      : exitCode === 0
        ? ["the output has no turn.completed record"]
        : [];
  return invocationResult(run, {
    success,
    errors,
    warnings,
    usage: { ...(lastUsage ? normalise(lastUsage) : {}), model },
    sessionId,
    responseText,
  });
};

/** Codex counts cached prompt tokens inside `input_tokens`: take them out. */
function normalise(usage: TokenUsage): Partial<Usage> {
  return {
    inputTokens: minusKnown(
      usage.input_tokens,
      usage.cached_input_tokens,
      usage.cache_write_input_tokens,
    ),
    cacheReadTokens: usage.cached_input_tokens ?? null,
    cacheWriteTokens: usage.cache_write_input_tokens ?? null,
    outputTokens: usage.output_tokens,
    reasoningTokens: usage.reasoning_output_tokens ?? null,
  };
}

/** Error messages are often an API error object serialised into the string. */
function unwrapMessage(message: string): string {
  const nested = jsonRecords(message)[0];
  return NestedApiError.Check(nested) ? nested.error.message : message;
}
