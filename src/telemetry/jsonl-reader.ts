import { open } from "node:fs/promises";
import { cleanLine } from "./event-line.js";

/** One line of a log, without its line ending; `text` is null when the bytes are not UTF-8. */
export interface LogLine {
  readonly text: string | null;
  /** 1-based line number in the file. */
  readonly number: number;
}

/** Consecutive lines read together, and the file offset just past them. */
export interface LogLineBatch {
  readonly lines: readonly LogLine[];
  /** Offset after the last line's `\n`, or after the file's end for an unterminated line. */
  readonly endOffset: number;
  /** False when the batch ends in a line with no `\n` (the end of the file, maybe a torn write). */
  readonly terminated: boolean;
}

const NEWLINE = 0x0a;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function toLines(bytes: Uint8Array, firstNumber: number): LogLine[] {
  let texts: (string | null)[];
  try {
    texts = strictUtf8.decode(bytes).split("\n");
  } catch {
    // Some line in this chunk is not UTF-8: decode line by line to find which.
    texts = [];
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(NEWLINE, start);
      const lineBytes = bytes.subarray(start, end === -1 ? bytes.length : end);
      try {
        texts.push(strictUtf8.decode(lineBytes));
      } catch {
        texts.push(null);
      }
      if (end === -1) break;
      start = end + 1;
    }
  }
  const lines: LogLine[] = new Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] ?? null;
    const number = firstNumber + i;
    lines[i] = { text: text === null ? null : cleanLine(text, number), number };
  }
  return lines;
}

/**
 * Streams a JSONL file in batches of whole lines, reading fixed-size chunks (never the whole file
 * as one string). A missing file yields nothing. `start` must be 0 or a line start.
 */
export async function* readLogLines(
  path: string,
  options: {
    readonly start?: number;
    readonly firstLineNumber?: number;
    readonly chunkSize?: number;
  } = {},
): AsyncGenerator<LogLineBatch> {
  const chunkSize = options.chunkSize ?? 1 << 20;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  try {
    const buffer = Buffer.allocUnsafe(chunkSize);
    let position = options.start ?? 0;
    let lineNumber = options.firstLineNumber ?? 1;
    let carry: Buffer | null = null;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const fresh = buffer.subarray(0, bytesRead);
      const data: Buffer = carry ? Buffer.concat([carry, fresh]) : fresh;
      const lastNewline = data.lastIndexOf(NEWLINE);
      if (lastNewline === -1) {
        carry = Buffer.from(data);
        continue;
      }
      carry = lastNewline + 1 < data.length ? Buffer.from(data.subarray(lastNewline + 1)) : null;
      const lines = toLines(data.subarray(0, lastNewline), lineNumber);
      lineNumber += lines.length;
      yield { lines, endOffset: position - (carry?.length ?? 0), terminated: true };
    }
    if (carry) {
      yield { lines: toLines(carry, lineNumber), endOffset: position, terminated: false };
    }
  } finally {
    await handle.close();
  }
}
