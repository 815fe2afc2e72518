import type { ServerResponse } from "node:http";

/** Starts a server-sent-events response. */
export function startEvents(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
}

/** Writes one event; `name` is omitted for streams whose events are typed in the data only. */
export function sendEvent(res: ServerResponse, name: string | null, data: unknown): void {
  const head = name === null ? "" : `event: ${name}\n`;
  res.write(`${head}data: ${JSON.stringify(data)}\n\n`);
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
