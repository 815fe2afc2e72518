import type { ServerResponse } from "node:http";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { idMaker, type ModelRequest, type Protocol } from "./protocol.js";
import { NO_USAGE, type ScriptUsage } from "./script.js";
import { sendEvent, sendJson, startEvents } from "./sse.js";

const ChatRequest = Compile(
  Type.Object({
    model: Type.String({ minLength: 1 }),
    stream: Type.Optional(Type.Boolean()),
    messages: Type.Array(Type.Unknown()),
  }),
);

/**
 * Cached prompt tokens inside `prompt_tokens`, reasoning inside `completion_tokens`, as OpenAI
 * reports them. The protocol has no cache writes: any scripted are prompt tokens.
 */
function usageOf(u: ScriptUsage) {
  const cached = u.cacheRead ?? 0;
  const prompt = u.input + cached + (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "invalid_api_key",
  429: "rate_limit_exceeded",
  500: "server_error",
};

/** OpenAI chat completions: `POST /v1/chat/completions`, streamed (usage in the last chunk) or not. */
export function openaiChat(): Protocol {
  const id = idMaker();
  return {
    name: "openai-chat",
    handles: (method, path) => method === "POST" && path === "/v1/chat/completions",
    read: (body): ModelRequest | null =>
      ChatRequest.Check(body) ? { model: body.model, stream: body.stream === true } : null,
    error: (res, status, message) =>
      sendJson(res, status, {
        error: { message, type: ERROR_CODES[status] ?? "server_error", code: ERROR_CODES[status] },
      }),
    reply(res, turn, request) {
      const head = {
        id: id("chatcmpl"),
        created: Math.floor(Date.now() / 1000),
        model: turn.model ?? request.model,
      };
      const toolCall =
        turn.kind === "tool"
          ? {
              id: id("call"),
              type: "function",
              function: { name: turn.name, arguments: JSON.stringify(turn.input) },
            }
          : null;
      const text = turn.kind === "text" ? turn.text : null;
      const finish = toolCall === null ? "stop" : "tool_calls";
      const usage = usageOf(turn.usage ?? NO_USAGE);
      if (!request.stream) {
        if (turn.kind === "hang") return res.writeHead(200).flushHeaders();
        const message = {
          role: "assistant",
          content: text,
          ...(toolCall !== null && { tool_calls: [toolCall] }),
        };
        return sendJson(res, 200, {
          ...head,
          object: "chat.completion",
          choices: [{ index: 0, message, finish_reason: finish }],
          usage,
        });
      }
      const chunk = (choices: readonly unknown[], extra: Record<string, unknown> = {}) =>
        sendEvent(res, null, { ...head, object: "chat.completion.chunk", choices, ...extra });
      startEvents(res);
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
      if (turn.kind === "hang") return;
      const delta =
        toolCall === null ? { content: text } : { tool_calls: [{ index: 0, ...toolCall }] };
      chunk([{ index: 0, delta, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, finish_reason: finish }]);
      // As with `stream_options.include_usage`: a last chunk with no choices carries the usage.
      chunk([], { usage });
      done(res);
    },
  };
}

function done(res: ServerResponse): void {
  res.write("data: [DONE]\n\n");
  res.end();
}
