import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentInvoker, InvokerOptions } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { invocationResult, sumKnown } from "../output-records.js";

const Count = Type.Integer({ minimum: 0 });

const StepFinish = lazyCompile(
  Type.Object({
    type: Type.Literal("step_finish"),
    part: Type.Object({
      tokens: Type.Object({
        input: Type.Optional(Count),
        output: Type.Optional(Count),
        reasoning: Type.Optional(Count),
        cache: Type.Optional(
          Type.Object({ read: Type.Optional(Count), write: Type.Optional(Count) }),
        ),
      }),
      cost: Type.Optional(Type.Number({ minimum: 0 })),
    }),
  }),
);
const ErrorEvent = lazyCompile(
  Type.Object({
    type: Type.Literal("error"),
    error: Type.Optional(
      Type.Object({
        name: Type.Optional(Type.String()),
        data: Type.Optional(Type.Object({ message: Type.Optional(Type.String()) })),
      }),
    ),
  }),
);
const TextPart = lazyCompile(
  Type.Object({ type: Type.Literal("text"), part: Type.Object({ text: Type.String() }) }),
);
const WithSession = lazyCompile(Type.Object({ sessionID: Type.String() }));

/** OpenCode: `opencode run --format json <prompt>`, the prompt as an argument. */
export function createOpencodeInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "opencode",
      command: "opencode",
      usesStdin: false,
      args: (prompt, role, modelFlags) => [
        "run",
        "--format",
        "json",
        // Headless: permissions nobody can answer would be auto-rejected; a reviewer asks none.
        ...(role === "reviewer" ? [] : ["--auto"]),
        // A title of our own: otherwise OpenCode asks its model for one, a billed request that
        // it never reports (not on stdout, not in its database).
        "--title",
        `spec-kitty ${role}`,
        ...modelFlags,
        prompt,
      ],
      parse: parseOpencodeOutput,
    },
    options,
  );
}

/** Reads `opencode run --format json`: usage per step (summed), errors that exit 0. */
export const parseOpencodeOutput: OutputParser = (run) => {
  const { records, exitCode, requestedModel } = run;
  const events = records.filter((r) => WithSession.Check(r));
  const steps = records.filter((r) => StepFinish.Check(r)).map((r) => r.part);
  const errors = records
    .filter((r) => ErrorEvent.Check(r))
    .map((r) => {
      const message = r.error?.data?.message ?? "unknown error";
      return r.error?.name ? `${r.error.name}: ${message}` : message;
    });
  const cost = sumKnown(steps.map((s) => s.cost));
  const text = records
    .filter((r) => TextPart.Check(r))
    .map((r) => r.part.text)
    .join("")
    .trim();
  return invocationResult(run, {
    // There is no final record: the run ends with the process, and an error may still exit 0.
    // Output without a single OpenCode event (nothing, or noise) is no run either.
    success: errors.length === 0 && events.length > 0,
    errors: events.length > 0 || exitCode !== 0 ? errors : ["the output has no OpenCode event"],
    usage: {
      // The stream names no model: what we asked for is the best we know.
      model: requestedModel,
      inputTokens: sumKnown(steps.map((s) => s.tokens.input)),
      // OpenCode's `output` leaves reasoning out; ours includes it.
      outputTokens: sumKnown(steps.flatMap((s) => [s.tokens.output, s.tokens.reasoning])),
      reasoningTokens: sumKnown(steps.map((s) => s.tokens.reasoning)),
      cacheReadTokens: sumKnown(steps.map((s) => s.tokens.cache?.read)),
      cacheWriteTokens: sumKnown(steps.map((s) => s.tokens.cache?.write)),
      // 0 means "not charged or unknown" (subscription providers): leave it to the estimator.
      costUsd: cost === 0 ? null : cost,
    },
    sessionId: events[0]?.sessionID,
    responseText: text === "" ? null : text,
  });
};
