import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { RequestUsage } from "../contract.js";

/**
 * The records of a Codex rollout (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`) that the
 * session reader needs, validated at the boundary. Only ids, times, models, usage, cwd and git
 * are kept; prompt and tool-call texts are read only to be matched for spec-kitty signals.
 * Rollouts are no versioned contract (openai/codex#45251): every field but the ones a record
 * is recognised by is optional.
 */

const Count = Type.Integer({ minimum: 0 });
const Id = Type.String({ minLength: 1 });

/** Codex's usage shape, in rollouts and in `codex exec --json`'s `turn.completed`. */
export const TokenUsageSchema = Type.Object({
  input_tokens: Count,
  cached_input_tokens: Type.Optional(Count),
  cache_write_input_tokens: Type.Optional(Count),
  output_tokens: Count,
  reasoning_output_tokens: Type.Optional(Count),
});
export type TokenUsage = Static<typeof TokenUsageSchema>;

const SessionMetaSchema = Type.Object({
  type: Type.Literal("session_meta"),
  payload: Type.Object({
    id: Id,
    /** The root thread (the one `codex exec` printed); absent before 2026. */
    session_id: Type.Optional(Id),
    forked_from_id: Type.Optional(Type.Union([Id, Type.Null()])),
    parent_thread_id: Type.Optional(Type.Union([Id, Type.Null()])),
    thread_source: Type.Optional(Type.String()),
    source: Type.Optional(Type.Unknown()),
    cwd: Type.Optional(Type.String()),
    cli_version: Type.Optional(Type.String()),
    git: Type.Optional(
      Type.Union([
        Type.Object({ branch: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
        Type.Null(),
      ]),
    ),
  }),
});
export const SessionMeta = lazyCompile(SessionMetaSchema);
export type SessionMetaPayload = Static<typeof SessionMetaSchema>["payload"];

export const SubagentSource = lazyCompile(
  Type.Object({ subagent: Type.Object({ thread_spawn: Type.Unknown() }) }),
);

export const TurnContext = lazyCompile(
  Type.Object({
    type: Type.Literal("turn_context"),
    payload: Type.Object({
      turn_id: Type.Optional(Id),
      root_turn_id: Type.Optional(Id),
      cwd: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
    }),
  }),
);

/** `task_started` / `task_complete` / `turn_aborted`: a turn's start and end (0.40 and later). */
export const TurnEdge = lazyCompile(
  Type.Object({
    type: Type.Literal("event_msg"),
    payload: Type.Object({
      type: Type.Union([
        Type.Literal("task_started"),
        Type.Literal("task_complete"),
        Type.Literal("turn_aborted"),
      ]),
      turn_id: Type.Optional(Id),
      root_turn_id: Type.Optional(Id),
    }),
  }),
);

/** The model chosen for the thread (newer CLIs, besides `turn_context`). */
export const SettingsApplied = lazyCompile(
  Type.Object({
    type: Type.Literal("event_msg"),
    payload: Type.Object({
      type: Type.Literal("thread_settings_applied"),
      thread_id: Type.Optional(Id),
      thread_settings: Type.Optional(Type.Object({ model: Type.Optional(Type.String()) })),
      model: Type.Optional(Type.String()),
    }),
  }),
);

/** The model a `turn_context` or `thread_settings_applied` record sets, else null. */
export function modelSetBy(record: unknown): string | null {
  if (TurnContext.Check(record)) return record.payload.model ?? null;
  if (SettingsApplied.Check(record)) {
    return record.payload.thread_settings?.model ?? record.payload.model ?? null;
  }
  return null;
}

/** The user's prompt: `user_message` (before 0.150), a completed `UserMessage` item (after). */
export const UserMessageEvent = lazyCompile(
  Type.Object({
    type: Type.Literal("event_msg"),
    payload: Type.Object({ type: Type.Literal("user_message"), message: Type.String() }),
  }),
);
export const UserMessageItem = lazyCompile(
  Type.Object({
    type: Type.Literal("event_msg"),
    payload: Type.Object({
      type: Type.Literal("item_completed"),
      thread_id: Type.Optional(Id),
      item: Type.Object({
        type: Type.Literal("UserMessage"),
        content: Type.Array(Type.Object({ text: Type.Optional(Type.String()) })),
      }),
    }),
  }),
);

/** Any event that names its thread (so a sub-agent's own records are told from its replay). */
export const ThreadEvent = lazyCompile(Type.Object({ payload: Type.Object({ thread_id: Id }) }));

/** Cumulative and last-response usage; `info` is null before the first response. */
const TokenCountSchema = Type.Object({
  type: Type.Literal("event_msg"),
  payload: Type.Object({
    type: Type.Literal("token_count"),
    info: Type.Union([
      Type.Object({
        total_token_usage: Type.Optional(Type.Union([TokenUsageSchema, Type.Null()])),
        last_token_usage: Type.Optional(Type.Union([TokenUsageSchema, Type.Null()])),
        model: Type.Optional(Type.String()),
      }),
      Type.Null(),
    ]),
  }),
});
export const TokenCount = lazyCompile(TokenCountSchema);
export type TokenCountPayload = Static<typeof TokenCountSchema>["payload"];

/** One response's usage with its ids (0.16x and later). */
const TokenUsageRecordSchema = Type.Object({
  type: Type.Literal("token_usage_record"),
  payload: Type.Object({
    thread_id: Id,
    turn_id: Id,
    root_turn_id: Type.Optional(Id),
    session_id: Type.Optional(Id),
    response_id: Id,
    usage: TokenUsageSchema,
  }),
});
export const TokenUsageRecord = lazyCompile(TokenUsageRecordSchema);
export type TokenUsageRecordPayload = Static<typeof TokenUsageRecordSchema>["payload"];

/** Tool calls whose inputs may name spec-kitty commands and paths. */
export const FunctionCall = lazyCompile(
  Type.Object({
    type: Type.Literal("response_item"),
    payload: Type.Object({ type: Type.Literal("function_call"), arguments: Type.String() }),
  }),
);
export const CustomToolCall = lazyCompile(
  Type.Object({
    type: Type.Literal("response_item"),
    payload: Type.Object({ type: Type.Literal("custom_tool_call"), input: Type.String() }),
  }),
);
export const LocalShellCall = lazyCompile(
  Type.Object({
    type: Type.Literal("response_item"),
    payload: Type.Object({
      type: Type.Literal("local_shell_call"),
      action: Type.Object({ command: Type.Array(Type.String()) }),
    }),
  }),
);

/** The record types a rollout of 0.171 and earlier writes; others are reported as unknown. */
export const KNOWN_RECORD_TYPES: ReadonlySet<string> = new Set([
  "session_meta",
  "turn_context",
  "event_msg",
  "response_item",
  "compacted",
  "token_usage_record",
  "world_state",
]);

/** The `response_item` payloads worth parsing; the rest (messages, outputs) are skipped unread. */
export const TOOL_CALL_ITEMS: ReadonlySet<string> = new Set([
  "function_call",
  "custom_tool_call",
  "local_shell_call",
]);

/** The newest CLI whose rollouts this reader was checked against (real fixtures). */
export const NEWEST_KNOWN_CLI = [0, 171] as const;

/**
 * Codex counts cached and cache-written prompt tokens inside `input_tokens` and reasoning
 * inside `output_tokens` (codex-acp#509): DESIGN §4 wants the base-rate input apart and the
 * reasoning as the part of output it is. Codex does not say a write's lifetime: the 5-minute
 * rate, its only one.
 */
export function normaliseUsage(u: TokenUsage): RequestUsage {
  const cached = u.cached_input_tokens ?? 0;
  const written = u.cache_write_input_tokens ?? 0;
  return {
    inputTokens: Math.max(0, u.input_tokens - cached - written),
    outputTokens: u.output_tokens,
    cacheReadTokens: cached,
    cacheWriteTokens: written,
    cacheWrite1hTokens: 0,
    reasoningTokens: Math.min(u.reasoning_output_tokens ?? 0, u.output_tokens),
  };
}

const FIELDS = [
  "input_tokens",
  "cached_input_tokens",
  "cache_write_input_tokens",
  "output_tokens",
  "reasoning_output_tokens",
] as const;

/** `now - before`, or null when a count went down (a compaction or reset of the totals). */
export function usageDelta(now: TokenUsage, before: TokenUsage): TokenUsage | null {
  const d = {
    input_tokens: now.input_tokens - before.input_tokens,
    cached_input_tokens: (now.cached_input_tokens ?? 0) - (before.cached_input_tokens ?? 0),
    cache_write_input_tokens:
      (now.cache_write_input_tokens ?? 0) - (before.cache_write_input_tokens ?? 0),
    output_tokens: now.output_tokens - before.output_tokens,
    reasoning_output_tokens:
      (now.reasoning_output_tokens ?? 0) - (before.reasoning_output_tokens ?? 0),
  };
  return FIELDS.every((f) => d[f] >= 0) ? d : null;
}

export function isZero(u: TokenUsage): boolean {
  return FIELDS.every((f) => (u[f] ?? 0) === 0);
}

/** The counts as one key part: the cumulative position of a call in its thread. */
export function usageKey(u: TokenUsage): string {
  return FIELDS.map((f) => u[f] ?? 0).join("/");
}
