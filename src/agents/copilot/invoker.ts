import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentInvoker, InvokerOptions } from "../contract.js";
import { defineInvoker, type OutputParser } from "../define-invoker.js";
import { invocationResult, sumKnown } from "../output-records.js";
import { readCopilotSessionState } from "./session-state.js";

const ModelEvent = lazyCompile(
  Type.Object({
    type: Type.Union([
      Type.Literal("session.tools_updated"),
      Type.Literal("tool.execution_complete"),
    ]),
    data: Type.Object({ model: Type.String() }),
  }),
);
const AssistantMessage = lazyCompile(
  Type.Object({
    type: Type.Literal("assistant.message"),
    data: Type.Object({
      content: Type.Optional(Type.String()),
      outputTokens: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  }),
);
const ResultEvent = lazyCompile(
  Type.Object({
    type: Type.Literal("result"),
    sessionId: Type.Optional(Type.String()),
    exitCode: Type.Integer(),
  }),
);

/** GitHub Copilot CLI: `copilot -p <prompt> --output-format json`, the prompt as an argument. */
export function createCopilotInvoker(options: InvokerOptions = {}): AgentInvoker {
  return defineInvoker(
    {
      agentId: "copilot",
      command: "copilot",
      usesStdin: false,
      args: (prompt, role, modelFlags) => [
        "-p",
        prompt,
        "--output-format",
        "json",
        // Required in non-interactive mode; nobody is there to answer a prompt.
        "--allow-all-tools",
        // A reviewer reads: denials take precedence over --allow-all-tools (no edits, no shell).
        ...(role === "reviewer" ? ["--deny-tool", "write", "--deny-tool", "shell"] : []),
        "--no-ask-user",
        ...modelFlags,
      ],
      readRunFiles: readCopilotSessionState,
      parse: parseCopilotOutput,
    },
    options,
  );
}

/** Reads Copilot's JSONL session events: output tokens only, no input, cache or cost. */
export const parseCopilotOutput: OutputParser = (run) => {
  const { records, exitCode, requestedModel } = run;
  const result = records.findLast((r) => ResultEvent.Check(r));
  const messages = records.filter((r) => AssistantMessage.Check(r)).map((r) => r.data);
  const reportedExit = result?.exitCode;
  return invocationResult(run, {
    success: result !== undefined && reportedExit === 0,
    errors:
      result === undefined
        ? exitCode === 0
          ? ["the output has no result record"]
          : []
        : reportedExit === 0
          ? []
          : [`the session ended with exit code ${reportedExit}`],
    usage: {
      model: records.findLast((r) => ModelEvent.Check(r))?.data.model ?? requestedModel,
      outputTokens: sumKnown(messages.map((m) => m.outputTokens)),
    },
    sessionId: result?.sessionId,
    responseText: messages.findLast((m) => m.content !== undefined)?.content?.trim() ?? null,
  });
};
