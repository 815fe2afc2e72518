import { cleanLine, MAX_LINE_BYTES } from "./event-line.js";
import { openForRead } from "./project-paths.js";

/** One line of a log, without its line ending; `text` is null when the bytes are not UTF-8. */
export interface LogLine {
  readonly text: string | null;
  /** 1-based line number in the file. */
  readonly number: number;
  /** Longer than `MAX_LINE_BYTES`: skipped unread (`text` is then null). */
  readonly tooLong?: boolean;
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
 * as one string). A missing file yields nothing; a file outside the project or not a regular
 * file throws an `UnsafeFileError`. A line longer than `MAX_LINE_BYTES` is passed on as
 * `tooLong` without being held: memory stays bounded and time linear whatever the file holds.
 * `start` must be 0 or a line start.
 */
export async function* readLogLines(
  path: string,
  options: {
    readonly start?: number;
    readonly firstLineNumber?: number;
    readonly chunkSize?: number;
    /** Nothing outside this folder is read; default: the file's project. */
    readonly root?: string;
  } = {},
): AsyncGenerator<LogLineBatch> {
  // Every line within one chunk is then short enough; only a carried line needs the check.
  const chunkSize = Math.min(options.chunkSize ?? 1 << 20, MAX_LINE_BYTES);
  const handle = await openForRead(path, options.root);
  if (handle === null) return;
  try {
    const buffer = Buffer.allocUnsafe(chunkSize);
    let position = options.start ?? 0;
    let lineNumber = options.firstLineNumber ?? 1;
    // The start of a line that has no `\n` yet, kept as chunks (joined once, when it ends), or
    // dropped when it grows past the limit.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let tooLong = false;
    const finishPending = (tail: Uint8Array): LogLine => {
      const number = lineNumber++;
      const length = pendingBytes + tail.length;
      const line =
        tooLong || length > MAX_LINE_BYTES
          ? { text: null, number, tooLong: true }
          : (toLines(Buffer.concat([...pending, tail], length), number)[0] as LogLine);
      pending = [];
      pendingBytes = 0;
      tooLong = false;
      return line;
    };
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const fresh = buffer.subarray(0, bytesRead);
      const firstNewline = fresh.indexOf(NEWLINE);
      if (firstNewline === -1) {
        if (!tooLong && pendingBytes + bytesRead <= MAX_LINE_BYTES) {
          pending.push(Buffer.from(fresh));
          pendingBytes += bytesRead;
        } else {
          pending = [];
          pendingBytes = 0;
          tooLong = true;
        }
        continue;
      }
      const lastNewline = fresh.lastIndexOf(NEWLINE);
      const pendingLine = tooLong || pendingBytes > 0;
      const lines: LogLine[] = [];
      let from = 0;
      if (pendingLine) {
        lines.push(finishPending(fresh.subarray(0, firstNewline)));
        from = firstNewline + 1;
      }
      if (from <= lastNewline) {
        const whole = toLines(fresh.subarray(from, lastNewline), lineNumber);
        lineNumber += whole.length;
        for (const line of whole) lines.push(line);
      }
      if (lastNewline + 1 < bytesRead) {
        pending = [Buffer.from(fresh.subarray(lastNewline + 1))];
        pendingBytes = bytesRead - lastNewline - 1;
      }
      yield { lines, endOffset: position - pendingBytes, terminated: true };
    }
    if (pendingBytes > 0 || tooLong) {
      yield { lines: [finishPending(new Uint8Array(0))], endOffset: position, terminated: false };
    }
  } finally {
    await handle.close();
  }
}
