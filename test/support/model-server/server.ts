import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicMessages } from "./anthropic.js";
import { geminiGenerateContent } from "./gemini.js";
import { openaiChat } from "./openai-chat.js";
import { openaiResponses } from "./openai-responses.js";
import type { Protocol } from "./protocol.js";
import { type Turn, TurnQueue } from "./script.js";
import { sendJson } from "./sse.js";

/** One request the server got, as a test checks it (credentials left out). */
export interface RecordedRequest {
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly query: string;
  /** The protocol that served it; null for `HEAD /` and unknown routes. */
  readonly protocol: string | null;
  readonly model: string | null;
  readonly stream: boolean | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBytes: number;
  /** The parsed JSON body, null when there was none or it was not JSON. */
  readonly body: unknown;
  readonly status: number;
  /** What answered it: a turn's kind, or why none did. */
  readonly served: Turn["kind"] | "no-turn-left" | "bad-request" | "not-found" | "ping";
}

/** A running scripted model server on 127.0.0.1. */
export interface ModelServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** The requests a protocol served, in order (no pings, no unknown routes). */
  modelRequests(): readonly RecordedRequest[];
  /** How many scripted turns were never served. */
  readonly turnsLeft: number;
  /** Stops listening and cuts every open connection (hanging replies included). */
  close(): Promise<void>;
}

export type ScriptedTurn = Turn & { readonly repeat?: boolean };

const SECRET_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "cookie",
]);

/** Starts a server answering every supported protocol from one list of turns. */
export async function startModelServer(turns: readonly ScriptedTurn[]): Promise<ModelServer> {
  const protocols: readonly Protocol[] = [
    anthropicMessages(),
    openaiResponses(),
    openaiChat(),
    geminiGenerateContent(),
  ];
  const queue = new TurnQueue(turns);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const method = req.method ?? "GET";
      const body = parseJson(raw);
      const record = (
        fields: Pick<RecordedRequest, "protocol" | "model" | "stream" | "status" | "served">,
      ) =>
        requests.push({
          method,
          path: url.pathname,
          query: url.search,
          headers: publicHeaders(req.headers),
          bodyBytes: raw.length,
          body,
          ...fields,
        });
      const protocol = protocols.find((p) => p.handles(method, url.pathname));
      if (protocol === undefined) {
        // Claude Code checks that the base URL answers with a `HEAD /` before its first request.
        const ping = url.pathname === "/" && (method === "HEAD" || method === "GET");
        const status = ping ? 200 : 404;
        record({
          protocol: null,
          model: null,
          stream: null,
          status,
          served: ping ? "ping" : "not-found",
        });
        if (ping) res.writeHead(200).end();
        else sendJson(res, 404, { error: { message: `no route for ${method} ${url.pathname}` } });
        return;
      }
      const request = protocol.read(body, url.pathname);
      if (request === null) {
        record({
          protocol: protocol.name,
          model: null,
          stream: null,
          status: 400,
          served: "bad-request",
        });
        return protocol.error(res, 400, "the body is not a request of this protocol");
      }
      const turn = queue.take({ model: request.model, body });
      const base = { protocol: protocol.name, model: request.model, stream: request.stream };
      if (turn === undefined) {
        record({ ...base, status: 500, served: "no-turn-left" });
        return protocol.error(res, 500, `the test script has no turn left for ${request.model}`);
      }
      if (turn.kind === "error") {
        record({ ...base, status: turn.status, served: "error" });
        return protocol.error(res, turn.status, turn.message ?? `scripted HTTP ${turn.status}`);
      }
      record({ ...base, status: 200, served: turn.kind });
      protocol.reply(res, turn, request);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Loopback only, on a port the system picks: nothing leaves the machine, tests never collide.
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    modelRequests: () => requests.filter((r) => r.protocol !== null),
    get turnsLeft() {
      return queue.left;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    // A client that hangs up mid-body still gets its request recorded.
    req.on("error", () => resolve(Buffer.concat(chunks)));
  });
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return null;
  }
}

function publicHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADERS.has(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return kept;
}
