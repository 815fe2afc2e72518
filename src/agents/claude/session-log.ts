import { access } from "node:fs/promises";
import { join } from "node:path";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { InvocationResult, ModelUsage, RequestUsage } from "../contract.js";
import type { RunFilesReader } from "../define-invoker.js";
import { ifExact, sumRequests, totalsOf } from "../model-usage.js";
import { agentHome, isPlainId, namesIn, readJsonLines } from "../run-files.js";
import { ApiUsage, type ApiUsageShape, largestUsage } from "./api-usage.js";

// Only what is needed of an assistant line: ids, model, usage (never the content).
const LoggedCall = lazyCompile(
  Type.Object({
    type: Type.Literal("assistant"),
    requestId: Type.Optional(Type.String()),
    message: Type.Object({
      id: Type.String(),
      model: Type.String(),
      usage: ApiUsage,
    }),
  }),
);

/** The most project folders looked into for the session's file. */
const MAX_PROJECTS = 10_000;

/** What Claude Code writes for a turn it made up itself (an API error): no call was billed. */
export const SYNTHETIC_MODEL = "<synthetic>";

/**
 * One API call's identity: its lines (one per content block) and its copies in resumed or
 * forked sessions share the message id and the request id; some builds omit the request id.
 */
export function callKey(messageId: string, requestId: string | undefined): string {
  return `${messageId}:${requestId ?? ""}`;
}

/**
 * Claude Code's session log `$CLAUDE_CONFIG_DIR/projects/<cwd>/<session id>.jsonl` (default
 * `~/.claude`) has one `assistant` line per content block, written once its message is complete,
 * with that API call's final usage. Stdout's lines carry output 1 (2.1.197 prints them before
 * `message_delta`), so the log completes a run killed before its result line, and gives the
 * per-call split (long-context tiers) that the result line's totals lack. The result line's own
 * totals are never replaced.
 */
export const readClaudeSessionLog: RunFilesReader = async (result, env) => {
  const id = result.sessionId;
  if (id === null || !isPlainId(id) || !wantsLog(result)) return result;
  const file = await findSessionLog(
    join(agentHome(env, "CLAUDE_CONFIG_DIR", ".claude"), "projects"),
    id,
  );
  if (file === null) return result;
  const logged = loggedModels(await readJsonLines(file));
  if (logged.size === 0) return result;
  return hasResultLine(result) ? withRequests(result, logged) : withLoggedUsage(result, logged);
};

/** Claude Code 2.x prints `total_cost_usd` in every result line, 0 for a failed run. */
function hasResultLine(result: InvocationResult): boolean {
  return result.costUsd !== null || result.untrustedCostUsd !== null;
}

/** Killed (no result line), or a model whose calls the stream could not split exactly. */
function wantsLog(result: InvocationResult): boolean {
  return (
    !hasResultLine(result) ||
    result.models.some((m) => m.requests.length === 0 && m.inputTokens + m.outputTokens > 0)
  );
}

/** `<projects>/<any folder>/<id>.jsonl`: the folder is the session's cwd, made a name. */
async function findSessionLog(projects: string, id: string): Promise<string | null> {
  const folders = (await namesIn(projects)).slice(0, MAX_PROJECTS);
  for (const folder of folders) {
    const path = join(projects, folder, `${id}.jsonl`);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return null;
}

/** Each model's API calls in the log, once each (message id + request id), largest usage. */
function loggedModels(records: readonly Record<string, unknown>[]): Map<string, RequestUsage[]> {
  const calls = new Map<string, { model: string; usages: ApiUsageShape[] }>();
  for (const r of records) {
    if (!LoggedCall.Check(r) || r.message.model === SYNTHETIC_MODEL) continue;
    const key = callKey(r.message.id, r.requestId);
    const call = calls.get(key) ?? { model: r.message.model, usages: [] };
    call.usages.push(r.message.usage);
    calls.set(key, call);
  }
  const byModel = new Map<string, RequestUsage[]>();
  for (const { model, usages } of calls.values()) {
    byModel.set(model, [...(byModel.get(model) ?? []), largestUsage(usages)]);
  }
  return byModel;
}

/** The result line's totals stay; a model gets the log's calls when they add up to them. */
function withRequests(result: InvocationResult, logged: Map<string, RequestUsage[]>) {
  const models = result.models.map((m) =>
    m.requests.length > 0 ? m : { ...m, requests: ifExact(m, logged.get(m.model) ?? []) },
  );
  return { ...result, models };
}

/**
 * A run without a result line: each model the log has replaces the stream's, when the log
 * has at least as much of every class (the stream's output is a snapshot); the rest stay.
 */
function withLoggedUsage(
  result: InvocationResult,
  logged: Map<string, RequestUsage[]>,
): InvocationResult {
  const streamed = new Map(result.models.map((m) => [m.model, m]));
  const models: ModelUsage[] = result.models.map((m) => fromLog(m, logged.get(m.model)) ?? m);
  for (const [model, requests] of logged) {
    if (!streamed.has(model))
      models.push({ model, ...sumRequests(requests), costUsd: null, requests });
  }
  const usage = totalsOf(models);
  return {
    ...result,
    ...usage,
    // The stream cannot tell reasoning apart; the log may.
    reasoningTokens: usage.reasoningTokens,
    models,
    model: result.model ?? models[0]?.model ?? null,
  };
}

function fromLog(streamed: ModelUsage, requests: RequestUsage[] | undefined): ModelUsage | null {
  if (requests === undefined) return null;
  const sum = sumRequests(requests);
  const covers =
    sum.inputTokens >= streamed.inputTokens &&
    sum.outputTokens >= streamed.outputTokens &&
    sum.cacheReadTokens >= streamed.cacheReadTokens &&
    sum.cacheWriteTokens >= streamed.cacheWriteTokens;
  return covers ? { ...streamed, ...sum, requests } : null;
}
