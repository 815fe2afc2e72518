import type { Static } from "typebox";
import * as Type from "typebox/type";
import type { RequestUsage } from "../contract.js";

const Count = Type.Integer({ minimum: 0 });

/** The Anthropic API's `usage` of a message, as Claude Code prints and logs it. */
export const ApiUsage = Type.Object({
  input_tokens: Type.Optional(Count),
  output_tokens: Type.Optional(Count),
  cache_creation_input_tokens: Type.Optional(Count),
  cache_read_input_tokens: Type.Optional(Count),
  // The cache writes by lifetime: 1-hour writes are billed at 2x input, 5-minute at 1.25x.
  cache_creation: Type.Optional(
    Type.Object({
      ephemeral_5m_input_tokens: Type.Optional(Count),
      ephemeral_1h_input_tokens: Type.Optional(Count),
    }),
  ),
  output_tokens_details: Type.Optional(Type.Object({ thinking_tokens: Type.Optional(Count) })),
});

export type ApiUsageShape = Static<typeof ApiUsage>;

/** One API call's usage from the copies of it seen: each class at its largest (counts only grow). */
export function largestUsage(usages: readonly ApiUsageShape[]): RequestUsage {
  const most = (pick: (u: ApiUsageShape) => number | undefined) =>
    Math.max(0, ...usages.map((u) => pick(u) ?? 0));
  const cacheWriteTokens = most((u) => u.cache_creation_input_tokens);
  const outputTokens = most((u) => u.output_tokens);
  return {
    inputTokens: most((u) => u.input_tokens),
    outputTokens,
    cacheReadTokens: most((u) => u.cache_read_input_tokens),
    cacheWriteTokens,
    cacheWrite1hTokens: Math.min(
      cacheWriteTokens,
      most((u) => u.cache_creation?.ephemeral_1h_input_tokens),
    ),
    reasoningTokens: Math.min(
      outputTokens,
      most((u) => u.output_tokens_details?.thinking_tokens),
    ),
  };
}
