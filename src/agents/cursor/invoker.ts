import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentInvoker, InvokerOptions } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { invocationResult } from "../output-records.js";

const Count = Type.Integer({ minimum: 0 });

const InitRecord = lazyCompile(
  Type.Object({
    type: Type.Literal("system"),
    subtype: Type.Literal("init"),
    model: Type.Optional(Type.String()),
  }),
);
const ResultRecord = lazyCompile(
  Type.Object({
    type: Type.Literal("result"),
    subtype: Type.Optional(Type.String()),
    is_error: Type.Optional(Type.Boolean()),
    result: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    session_id: Type.Optional(Type.String()),
    usage: Type.Optional(
      Type.Object({
        inputTokens: Type.Optional(Count),
        outputTokens: Type.Optional(Count),
        cacheReadTokens: Type.Optional(Count),
        cacheWriteTokens: Type.Optional(Count),
      }),
    ),
  }),
);

/** Cursor CLI: `cursor-agent -p --output-format stream-json`, the prompt as an argument. */
export function createCursorInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "cursor",
      command: "cursor-agent",
      usesStdin: false,
      args: (prompt, role, modelFlags) => [
        "-p",
        "--output-format",
        "stream-json",
        // Ask mode is read-only; --force lets an implementer run what would need approval.
        ...(role === "reviewer" ? ["--mode", "ask"] : ["--force"]),
        ...modelFlags,
        prompt,
      ],
      parse: parseCursorOutput,
    },
    options,
  );
}

/** Reads Cursor's json/stream-json result; usage only in newer builds, never a cost. */
export const parseCursorOutput: OutputParser = (run) => {
  const { records, requestedModel } = run;
  const result = records.findLast((r) => ResultRecord.Check(r));
  const failed = result?.is_error === true || result?.subtype !== "success";
  const usage = result?.usage;
  return invocationResult(run, {
    // Cursor prints no JSON on failure: a missing result means the message is on stderr.
    success: result !== undefined && !failed,
    errors: result !== undefined && failed ? [result.result || (result.subtype ?? "error")] : [],
    usage: {
      // init.model is a display name ("Claude 4.5 Opus (Thinking)"); the requested id is better.
      model: requestedModel ?? records.find((r) => InitRecord.Check(r))?.model ?? null,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      cacheReadTokens: usage?.cacheReadTokens ?? null,
      cacheWriteTokens: usage?.cacheWriteTokens ?? null,
    },
    sessionId: result?.session_id,
    responseText: result?.result ?? null,
  });
};
