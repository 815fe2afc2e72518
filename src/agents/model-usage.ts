import type { ModelUsage, RequestUsage, Usage } from "./contract.js";

/** The token classes of a request, in the order they are compared and summed. */
const CLASSES = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "cacheWrite1hTokens",
  "reasoningTokens",
] as const satisfies readonly (keyof RequestUsage)[];

/** The class-by-class sum of `requests` (all zero for none). */
export function sumRequests(requests: readonly RequestUsage[]): RequestUsage {
  const sum = (key: (typeof CLASSES)[number]) => requests.reduce((n, r) => n + r[key], 0);
  return {
    inputTokens: sum("inputTokens"),
    outputTokens: sum("outputTokens"),
    cacheReadTokens: sum("cacheReadTokens"),
    cacheWriteTokens: sum("cacheWriteTokens"),
    cacheWrite1hTokens: sum("cacheWrite1hTokens"),
    reasoningTokens: sum("reasoningTokens"),
  };
}

/**
 * `requests` when they add up to `usage` in every billed class, else none: a model's requests
 * are only kept when pricing them one by one prices every token the model used, once.
 */
export function ifExact(
  usage: RequestUsage,
  requests: readonly RequestUsage[],
): readonly RequestUsage[] {
  if (requests.length === 0) return [];
  const sum = sumRequests(requests);
  const billed = CLASSES.filter((c) => c !== "reasoningTokens");
  return billed.every((c) => sum[c] === usage[c]) ? requests : [];
}

/**
 * The invocation's totals as the sums over its models (null when there is none), so that the
 * top-level figures the Python reader uses always equal the per-model ones added up.
 */
export function totalsOf(
  models: readonly ModelUsage[],
): Pick<
  Usage,
  "inputTokens" | "outputTokens" | "cacheReadTokens" | "cacheWriteTokens" | "reasoningTokens"
> {
  if (models.length === 0) {
    return {
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      reasoningTokens: null,
    };
  }
  const sum = sumRequests(models);
  return {
    inputTokens: sum.inputTokens,
    outputTokens: sum.outputTokens,
    cacheReadTokens: sum.cacheReadTokens,
    cacheWriteTokens: sum.cacheWriteTokens,
    reasoningTokens: sum.reasoningTokens,
  };
}
