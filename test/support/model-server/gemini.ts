import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { idMaker, type ModelRequest, type Protocol } from "./protocol.js";
import { NO_USAGE, type ScriptUsage } from "./script.js";
import { sendEvent, sendJson, startEvents } from "./sse.js";

const GenerateRequest = Compile(Type.Object({ contents: Type.Array(Type.Unknown()) }));

/** `/v1beta/models/<model>:streamGenerateContent` or `:generateContent`. */
const ROUTE = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

/**
 * Gemini counts cached tokens inside `promptTokenCount` and thoughts apart from
 * `candidatesTokenCount` (the total adds them). It reports no cache writes: any scripted are
 * prompt tokens.
 */
function usageOf(u: ScriptUsage) {
  const cached = u.cacheRead ?? 0;
  const prompt = u.input + cached + (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0);
  const thoughts = u.reasoning ?? 0;
  const candidates = u.output - thoughts;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    ...(cached > 0 && { cachedContentTokenCount: cached }),
    ...(thoughts > 0 && { thoughtsTokenCount: thoughts }),
    totalTokenCount: prompt + candidates + thoughts,
  };
}

const STATUSES: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  529: "UNAVAILABLE",
};

/**
 * What Gemini CLI's auto-router (a `generateContent` call of its flash-lite model) accepts as a
 * routing decision: JSON text with the fields of both its classifiers (the choice-based one and
 * the numerical one), each of which ignores the other's. `flash` / a low score pick Flash.
 */
export function geminiRouterAnswer(choice: "flash" | "pro"): string {
  return JSON.stringify({
    reasoning: "scripted routing decision",
    model_choice: choice,
    complexity_reasoning: "scripted routing decision",
    complexity_score: choice === "flash" ? 1 : 100,
  });
}

/** Gemini API: `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` or `:generateContent`. */
export function geminiGenerateContent(): Protocol {
  const id = idMaker();
  return {
    name: "gemini",
    handles: (method, path) => method === "POST" && ROUTE.test(path),
    read(body, path): ModelRequest | null {
      const [, model, action] = ROUTE.exec(path) ?? [];
      if (model === undefined || !GenerateRequest.Check(body)) return null;
      return { model, stream: action === "streamGenerateContent" };
    },
    error: (res, status, message) =>
      sendJson(res, status, {
        error: { code: status, message, status: STATUSES[status] ?? "INTERNAL" },
      }),
    reply(res, turn, request) {
      const part =
        turn.kind === "tool"
          ? { functionCall: { name: turn.name, args: turn.input } }
          : { text: turn.kind === "text" ? turn.text : "" };
      const response = {
        candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
        usageMetadata: usageOf(turn.usage ?? NO_USAGE),
        modelVersion: turn.model ?? request.model,
        responseId: id("resp"),
      };
      if (!request.stream) {
        if (turn.kind === "hang") return res.writeHead(200).flushHeaders();
        return sendJson(res, 200, response);
      }
      startEvents(res);
      if (turn.kind === "hang") return;
      // One chunk holding the whole answer and the usage is a valid stream.
      sendEvent(res, null, response);
      res.end();
    },
  };
}
