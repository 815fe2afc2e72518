import type { ServerResponse } from "node:http";
import type { Turn } from "./script.js";

/** What a protocol reads from a request body (validated): the model asked for, streaming or not. */
export interface ModelRequest {
  readonly model: string;
  readonly stream: boolean;
}

/** One wire protocol the server speaks (Anthropic Messages, OpenAI Responses, ...). */
export interface Protocol {
  readonly name: string;
  handles(method: string, path: string): boolean;
  /**
   * Null when the body is not a request of this protocol (answered with 400). `path` is given
   * for protocols that name the model there (Gemini).
   */
  read(body: unknown, path: string): ModelRequest | null;
  /** Answers with a text or tool turn, or starts a reply that never ends (`hang`). */
  reply(res: ServerResponse, turn: Exclude<Turn, { kind: "error" }>, request: ModelRequest): void;
  /** Answers with an HTTP error in this protocol's error shape. */
  error(res: ServerResponse, status: number, message: string): void;
}

/** Ids unique within one server, readable in a failing test (`msg_0003`). */
export function idMaker(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}_${String(++next).padStart(4, "0")}`;
}
