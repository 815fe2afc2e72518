import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { idMaker, type ModelRequest, type Protocol } from "./protocol.js";
import { NO_USAGE, type ScriptUsage } from "./script.js";
import { sendEvent, sendJson, startEvents } from "./sse.js";

const ResponsesRequest = Compile(
  Type.Object({
    model: Type.String({ minLength: 1 }),
    stream: Type.Optional(Type.Boolean()),
    input: Type.Unknown(),
  }),
);

/** OpenAI counts cached prompt tokens inside `input_tokens`, reasoning inside `output_tokens`. */
function usageOf(u: ScriptUsage) {
  const cached = u.cacheRead ?? 0;
  const input = u.input + cached + (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: input + u.output,
  };
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "invalid_api_key",
  429: "rate_limit_exceeded",
  500: "server_error",
};

/** OpenAI Responses: `POST /v1/responses`, server-sent events (Codex always streams). */
export function openaiResponses(): Protocol {
  const id = idMaker();
  return {
    name: "openai-responses",
    handles: (method, path) => method === "POST" && path === "/v1/responses",
    read: (body): ModelRequest | null =>
      ResponsesRequest.Check(body) ? { model: body.model, stream: body.stream === true } : null,
    error: (res, status, message) =>
      sendJson(res, status, {
        error: { message, type: ERROR_CODES[status] ?? "server_error", code: ERROR_CODES[status] },
      }),
    reply(res, turn, request) {
      const response = {
        id: id("resp"),
        object: "response",
        created_at: Math.floor(Date.now() / 1000),
        model: turn.model ?? request.model,
      };
      const item =
        turn.kind === "tool"
          ? {
              id: id("fc"),
              type: "function_call",
              status: "completed",
              call_id: id("call"),
              name: turn.name,
              ...(turn.namespace !== undefined && { namespace: turn.namespace }),
              arguments: JSON.stringify(turn.input),
            }
          : {
              id: id("msg"),
              type: "message",
              role: "assistant",
              status: "completed",
              content: [
                {
                  type: "output_text",
                  text: turn.kind === "text" ? turn.text : "",
                  annotations: [],
                },
              ],
            };
      const completed = {
        ...response,
        status: "completed",
        output: [item],
        usage: usageOf(turn.usage ?? NO_USAGE),
      };
      if (!request.stream) {
        if (turn.kind === "hang") return res.writeHead(200).flushHeaders();
        return sendJson(res, 200, completed);
      }
      let seq = 0;
      // Named events with the type repeated in the data, as the API sends them.
      const send = (type: string, data: Record<string, unknown>) =>
        sendEvent(res, type, { type, sequence_number: seq++, ...data });
      startEvents(res);
      send("response.created", {
        response: { ...response, status: "in_progress", output: [], usage: null },
      });
      if (turn.kind === "hang") return;
      send("response.output_item.added", {
        output_index: 0,
        item: { ...item, status: "in_progress", ...(item.type === "message" && { content: [] }) },
      });
      if (turn.kind === "text") {
        send("response.output_text.delta", {
          item_id: item.id,
          output_index: 0,
          content_index: 0,
          delta: turn.text,
        });
      }
      send("response.output_item.done", { output_index: 0, item });
      send("response.completed", { response: completed });
      res.end();
    },
  };
}
