import { open } from "node:fs/promises";

/** How much of a file is read at once. */
const CHUNK = 1 << 20;

/**
 * One line of a JSONL file as bytes, without its `\n`. The buffer is only valid during the
 * callback (the next read reuses it): copy what is kept.
 */
export interface RawLine {
  readonly bytes: Buffer;
  /** 1-based. */
  readonly number: number;
  /** True for a last line that has no `\n` after it (a line still being written, or cut). */
  readonly unterminated: boolean;
}

/**
 * Reads `path` chunk by chunk and calls `onLine` for every non-empty line, never holding more
 * than one chunk and the current line. Yields after each chunk's lines, so that a caller can
 * hand on what they finished before more is read. Throws when the file cannot be opened or read.
 */
export async function* lineChunks(
  path: string,
  onLine: (line: RawLine) => void,
): AsyncGenerator<void> {
  const file = await open(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    // A line longer than what is left of a chunk: its parts, copied.
    let carried: Buffer[] = [];
    let number = 0;
    const emit = (bytes: Buffer, unterminated: boolean) => {
      number++;
      if (bytes.length > 0) onLine({ bytes, number, unterminated });
    };
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const view = chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = view.indexOf(10); nl >= 0; nl = view.indexOf(10, start)) {
        const part = view.subarray(start, nl);
        if (carried.length > 0) {
          emit(Buffer.concat([...carried, part]), false);
          carried = [];
        } else {
          emit(part, false);
        }
        start = nl + 1;
      }
      if (start < bytesRead) carried.push(Buffer.from(view.subarray(start)));
      yield;
    }
    if (carried.length > 0) emit(Buffer.concat(carried), true);
    yield;
  } finally {
    await file.close();
  }
}

/** Every line of `path` through `onLine` (see `lineChunks`). */
export async function forEachLine(path: string, onLine: (line: RawLine) => void): Promise<void> {
  for await (const _ of lineChunks(path, onLine)) {
    // Nothing to hand on between chunks.
  }
}
