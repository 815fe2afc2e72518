import { sumRequests } from "../agents/model-usage.js";
import type { SessionCall } from "../agents/session-logs.js";
import type { EmitModelUsage, EmitOptions } from "../telemetry/emit.js";
import { PicoSum } from "../telemetry/money.js";

/**
 * The usage fields of the event made from `calls`: per model (in order of first use) its
 * token sums and each call as a request (for long-context tiers); the cost only when every
 * call reported one (else null: the report estimates it from the tokens).
 */
export function usageOf(
  calls: readonly SessionCall[],
): Pick<EmitOptions, "model" | "models" | "costUsd" | "reasoningTokens"> {
  const byModel = new Map<string, SessionCall[]>();
  for (const call of calls) {
    const list = byModel.get(call.model);
    if (list === undefined) byModel.set(call.model, [call]);
    else list.push(call);
  }
  const models: EmitModelUsage[] = [...byModel].map(([model, list]) => {
    const requests = list.map((c) => c.usage);
    return {
      model,
      ...sumRequests(requests),
      costUsd: reportedCost(list),
      requests,
    };
  });
  // Agents that do not count reasoning apart write 0: the total is then left unknown.
  const reasoning = models.reduce((n, m) => n + m.reasoningTokens, 0);
  return {
    model: models[0]?.model ?? null,
    models,
    costUsd: reportedCost(calls),
    reasoningTokens: reasoning > 0 ? reasoning : null,
  };
}

/** The sum of the calls' reported costs, exact in pico-dollars; null unless every call said. */
function reportedCost(calls: readonly SessionCall[]): number | null {
  const sum = new PicoSum();
  for (const call of calls) {
    if (call.costUsd === null) return null;
    sum.addUsd(call.costUsd);
  }
  // The double nearest the exact sum: adding the doubles themselves would drift.
  return Number(sum.total) / 1e12;
}
