import { join } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import { stringRecord } from "../../events/string-record.js";
import type { InvocationResult, ModelUsage, RequestUsage } from "../contract.js";
import type { RunFilesReader } from "../define-invoker.js";
import { sumRequests, totalsOf } from "../model-usage.js";
import { agentHome, isPlainId, readJsonLines } from "../run-files.js";

const Count = Type.Integer({ minimum: 0 });
const TokensSchema = Type.Object({
  inputTokens: Type.Optional(Count),
  outputTokens: Type.Optional(Count),
  cacheReadTokens: Type.Optional(Count),
  cacheWriteTokens: Type.Optional(Count),
  reasoningTokens: Type.Optional(Count),
});
type Tokens = Static<typeof TokensSchema>;

const UsageSchema = Type.Intersect([
  Type.Object({
    model: Type.String(),
    apiCallId: Type.Optional(Type.String()),
    accounting: Type.Optional(
      Type.Object({ sourceSessionId: Type.String(), usageId: Type.String() }),
    ),
  }),
  TokensSchema,
]);
/** One model call's usage, as a `session.usage_record` carries it. */
export type CopilotCallUsage = Static<typeof UsageSchema>;
// One per model call; its `cost` is not in USD, so it is left out. 1.0.102 nests the usage
// under `data.usage` (a real session, test/fixtures/session-logs/copilot); flat in `data` is
// the shape the issue 11 notes gave.
const UsageRecord = lazyCompile(
  Type.Object({
    type: Type.Literal("session.usage_record"),
    data: Type.Union([Type.Object({ usage: UsageSchema }), UsageSchema]),
  }),
);

/** The call usage of a `session.usage_record`; null for any other record. */
export function callUsageOf(record: unknown): CopilotCallUsage | null {
  if (!UsageRecord.Check(record)) return null;
  return "usage" in record.data && typeof record.data.usage === "object"
    ? (record.data.usage as CopilotCallUsage)
    : (record.data as CopilotCallUsage);
}
// The session's sums per model, written at its end (seen in 1.0.78).
export const Shutdown = lazyCompile(
  Type.Object({
    type: Type.Literal("session.shutdown"),
    data: Type.Object({
      modelMetrics: stringRecord(Type.Object({ usage: TokensSchema })),
    }),
  }),
);

/**
 * Copilot prints only output tokens; its session state
 * `$COPILOT_HOME/session-state/<sessionId>/events.jsonl` (default `~/.copilot`) has the run's
 * usage per model call, and per model at shutdown. Without it, what stdout said stays, flagged.
 */
export const readCopilotSessionState: RunFilesReader = async (result, env) => {
  const id = result.sessionId;
  const file =
    id !== null && isPlainId(id)
      ? join(agentHome(env, "COPILOT_HOME", ".copilot"), "session-state", id, "events.jsonl")
      : null;
  const records = file === null ? [] : await readJsonLines(file).catch(() => []);
  const models = usageRecordModels(records) ?? shutdownModels(records);
  if (models.length === 0) return outputOnly(result, file);
  const main =
    models.find((m) => m.model === result.model) ??
    models.toSorted((a, b) => b.outputTokens - a.outputTokens)[0];
  return { ...result, ...totalsOf(models), models, model: main?.model ?? result.model };
};

/** Each model's calls, one request per usage record; null when the file has none. */
function usageRecordModels(records: readonly Record<string, unknown>[]): ModelUsage[] | null {
  const byModel = new Map<string, RequestUsage[]>();
  for (const r of records) {
    const usage = callUsageOf(r);
    if (usage === null) continue;
    byModel.set(usage.model, [...(byModel.get(usage.model) ?? []), normaliseCopilot(usage)]);
  }
  if (byModel.size === 0) return null;
  return [...byModel].map(([model, requests]) => ({
    model,
    ...sumRequests(requests),
    costUsd: null,
    requests,
  }));
}

function shutdownModels(records: readonly Record<string, unknown>[]): ModelUsage[] {
  const shutdown = records.findLast((r) => Shutdown.Check(r));
  if (!Shutdown.Check(shutdown)) return [];
  return Object.entries(shutdown.data.modelMetrics).map(([model, m]) => ({
    model,
    ...normaliseCopilot(m.usage),
    costUsd: null,
    requests: [],
  }));
}

/** Copilot's input includes the cache reads and writes, its output the reasoning. */
export function normaliseCopilot(t: Tokens): RequestUsage {
  const read = t.cacheReadTokens ?? 0;
  const write = t.cacheWriteTokens ?? 0;
  const output = t.outputTokens ?? 0;
  return {
    inputTokens: Math.max(0, (t.inputTokens ?? 0) - read - write),
    outputTokens: output,
    cacheReadTokens: read,
    cacheWriteTokens: write,
    cacheWrite1hTokens: 0,
    reasoningTokens: Math.min(output, t.reasoningTokens ?? 0),
  };
}

function outputOnly(result: InvocationResult, file: string | null): InvocationResult {
  const where = file ?? "its session state (no session id on stdout)";
  return {
    ...result,
    warnings: [
      ...result.warnings,
      `Copilot's usage was not found in ${where}: only its output tokens are known`,
    ],
  };
}
