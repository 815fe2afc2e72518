import { open } from "node:fs/promises";

/** How much of a file is read at once. */
const CHUNK = 1 << 20;

// Chunk buffers are reused from file to file: a fresh 1 MiB buffer per file (thousands of small
// session files) kept the garbage collector busy for longer than the reading took.
const freeChunks: Buffer[] = [];

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
  let buffer = freeChunks.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    // The start of a line not ended yet, moved to the buffer's front before the next read (the
    // buffer doubles for a line longer than itself): every line is whole in one buffer, uncopied.
    let kept = 0;
    let number = 0;
    const emit = (bytes: Buffer, unterminated: boolean) => {
      number++;
      if (bytes.length > 0) onLine({ bytes, number, unterminated });
    };
    for (;;) {
      if (kept === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const { bytesRead } = await file.read(buffer, kept, buffer.length - kept, null);
      if (bytesRead === 0) break;
      const view = buffer.subarray(0, kept + bytesRead);
      let start = 0;
      for (let nl = view.indexOf(10, kept); nl >= 0; nl = view.indexOf(10, start)) {
        emit(view.subarray(start, nl), false);
        start = nl + 1;
      }
      kept = view.length - start;
      if (kept > 0 && start > 0) buffer.copy(buffer, 0, start, view.length);
      yield;
    }
    if (kept > 0) emit(buffer.subarray(0, kept), true);
    yield;
  } finally {
    freeChunks.push(buffer);
    await file.close();
  }
}

/** Every line of `path` through `onLine` (see `lineChunks`). */
export async function forEachLine(path: string, onLine: (line: RawLine) => void): Promise<void> {
  for await (const _ of lineChunks(path, onLine)) {
    // Nothing to hand on between chunks.
  }
}
