import { createReadStream } from "node:fs";
import type { SessionProblemSink } from "./session-logs.js";

/** One parsed line of a JSONL file: its object and its 1-based line number. */
export interface JsonLine {
  readonly record: Record<string, unknown>;
  readonly line: number;
}

const NEWLINE = 0x0a;

/**
 * The JSON objects of a JSONL file, streamed (files reach gigabytes), opened read-only. A line
 * that is not a JSON object is reported as `bad-line`, an unterminated last line that does not
 * parse as `truncated-line` (the agent is still writing it), an unopenable file as `unreadable`;
 * the rest is read. Never rejects.
 */
export async function* streamJsonLines(
  path: string,
  problems: SessionProblemSink,
): AsyncGenerator<JsonLine> {
  const stream = createReadStream(path, { flags: "r" });
  let pending: Buffer[] = [];
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        pending.push(chunk.subarray(start, at));
        start = at + 1;
        line += 1;
        const parsed = parse(Buffer.concat(pending));
        pending = [];
        if (parsed === undefined)
          problems.report("bad-line", `${path}:${line}`, "not a JSON object");
        else if (parsed !== null) yield { record: parsed, line };
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (error) {
    problems.report("unreadable", path, describe(error));
    return;
  } finally {
    stream.destroy();
  }
  if (pending.length === 0) return;
  line += 1;
  const parsed = parse(Buffer.concat(pending));
  if (parsed === undefined) {
    problems.report("truncated-line", `${path}:${line}`, "the last line is incomplete");
  } else if (parsed !== null) yield { record: parsed, line };
}

/** The object on a line; null for a blank line; undefined when it is not a JSON object. */
function parse(bytes: Buffer): Record<string, unknown> | null | undefined {
  const text = bytes.toString("utf8").trim();
  if (text === "") return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? "error";
  return String(error);
}
