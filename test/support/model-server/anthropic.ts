import type { ServerResponse } from "node:http";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { idMaker, type ModelRequest, type Protocol } from "./protocol.js";
import { NO_USAGE, type ScriptUsage, type Turn } from "./script.js";
import { sendEvent, sendJson, startEvents } from "./sse.js";

const MessagesRequest = Compile(
  Type.Object({
    model: Type.String({ minLength: 1 }),
    stream: Type.Optional(Type.Boolean()),
    messages: Type.Array(Type.Unknown()),
  }),
);

/** Anthropic's usage object, cache writes split by TTL as the API reports them since 2025. */
function usageOf(u: ScriptUsage) {
  const w5m = u.cacheWrite5m ?? 0;
  const w1h = u.cacheWrite1h ?? 0;
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: w5m + w1h,
    cache_read_input_tokens: u.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: w5m, ephemeral_1h_input_tokens: w1h },
    output_tokens: u.output,
    service_tier: "standard",
  };
}

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

/** Anthropic Messages: `POST /v1/messages` (Claude Code adds `?beta=true`), SSE or JSON. */
export function anthropicMessages(): Protocol {
  const id = idMaker();
  return {
    name: "anthropic-messages",
    handles: (method, path) => method === "POST" && path === "/v1/messages",
    read: (body): ModelRequest | null =>
      MessagesRequest.Check(body) ? { model: body.model, stream: body.stream === true } : null,
    error: (res, status, message) =>
      sendJson(res, status, {
        type: "error",
        error: { type: ERROR_TYPES[status] ?? "api_error", message },
      }),
    reply(res, turn, request) {
      const model = turn.model ?? request.model;
      const usage = usageOf(turn.usage ?? NO_USAGE);
      const block = contentBlock(turn, id);
      const message = { id: id("msg"), type: "message", role: "assistant", model };
      const stopReason = turn.kind === "tool" ? "tool_use" : "end_turn";
      // Like the API: Claude Code keeps it as `requestId` in its session log.
      res.setHeader("request-id", id("req"));
      if (!request.stream) {
        if (turn.kind === "hang") return res.writeHead(200).flushHeaders();
        sendJson(res, 200, {
          ...message,
          content: [block],
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        });
        return;
      }
      startEvents(res);
      // Like the API: the prompt's usage comes first, the final output count in message_delta.
      const startUsage = { ...usage, output_tokens: Math.min(1, usage.output_tokens) };
      sendEvent(res, "message_start", {
        type: "message_start",
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: startUsage,
        },
      });
      if (turn.kind === "hang") return;
      streamBlock(res, block);
      sendEvent(res, "message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage,
      });
      sendEvent(res, "message_stop", { type: "message_stop" });
      res.end();
    },
  };
}

type Block =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Readonly<Record<string, unknown>> };

function contentBlock(turn: Exclude<Turn, { kind: "error" }>, id: (p: string) => string): Block {
  return turn.kind === "tool"
    ? { type: "tool_use", id: id("toolu"), name: turn.name, input: turn.input }
    : { type: "text", text: turn.kind === "text" ? turn.text : "" };
}

function streamBlock(res: ServerResponse, block: Block): void {
  const start = block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
  sendEvent(res, "content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: start,
  });
  const delta =
    block.type === "text"
      ? { type: "text_delta", text: block.text }
      : { type: "input_json_delta", partial_json: JSON.stringify(block.input) };
  sendEvent(res, "content_block_delta", { type: "content_block_delta", index: 0, delta });
  sendEvent(res, "content_block_stop", { type: "content_block_stop", index: 0 });
}
