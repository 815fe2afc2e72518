import type { FileHandle } from "node:fs/promises";
import { MAX_LINE_BYTES } from "../event-line.js";
import type { EventFields } from "./event-fields.js";
import { scanLineTo } from "./line-scanner.js";

export interface WalkOptions {
  /** A line start (0, or just after a `\n`). */
  readonly start: number;
  /** Where to stop: lines that start before it are read (use the file size for "to the end"). */
  readonly end: number;
  /**
   * What to do with a last line that has no `\n` (a write in progress, or a torn one): "read"
   * it like any line, or "leave" it (it may still grow; the walk's end stops before it).
   */
  readonly unterminated: "read" | "leave";
  /** Called with the bytes of each chunk read (for a progress indicator). */
  readonly onBytes?: ((bytes: number) => void) | undefined;
  /** Called with each chunk read and its file offset (bytes skipped unread are not passed). */
  readonly onChunk?: ((bytes: Uint8Array, position: number) => void) | undefined;
}

/**
 * What a walk hands each line: `scanned` when the fast scanner accepted `bytes[from, to)` and
 * `fields` holds it; otherwise the line is for the full parse (it may be blank or invalid).
 * `at` is the line's offset in the file.
 */
export type LineVisit = (
  bytes: Uint8Array,
  from: number,
  to: number,
  scanned: boolean,
  at: number,
) => void;

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CHUNK = 1 << 20;
const HEAD_ROOM = 64 << 10;
// Shaped as FileHandle.read's results: one shape of object at `await reading` (a second one
// made V8 throw away the walk's optimized code).
const NOTHING_READ = Promise.resolve({ bytesRead: 0, buffer: Buffer.alloc(0) });

/**
 * Reads the lines of `file` from `options.start`, each line once, in order: the fast scanner
 * first (it fills `fields`), `visit` after. A line longer than MAX_LINE_BYTES is skipped
 * without being held, and reported to `tooLong`. Returns the offset after the last line read.
 * The two read buffers are allocated once per walk and reused chunk after chunk.
 */
export async function walkLines(
  file: FileHandle,
  options: WalkOptions,
  fields: EventFields,
  visit: LineVisit,
  tooLong: () => void,
): Promise<number> {
  // Two buffers: the next chunk is read into one while the other is scanned, so the thread
  // does not wait for the disk between chunks. Each keeps `head` bytes free before its data,
  // where the partial last line of the previous chunk is copied.
  let head = HEAD_ROOM;
  let buffers = takeBuffers();
  const pooled = buffers;
  let current = 0;
  let position = options.start;
  const end = options.end;
  let reading: Promise<{ bytesRead: number; buffer: Buffer }> = file.read(
    buffers[0] as Buffer,
    head,
    CHUNK,
    position,
  );
  let dataStart = head; // where this buffer's bytes begin (a carried partial line first)
  let base = options.start - head; // the file offset of buffer[0]
  try {
    for (;;) {
      const { bytesRead } = await reading;
      const buffer = buffers[current] as Buffer;
      options.onChunk?.(buffer.subarray(head, head + bytesRead), position);
      position += bytesRead;
      if (bytesRead > 0) options.onBytes?.(bytesRead);
      const next = buffers[1 - current] as Buffer;
      const available = head + bytesRead;
      reading = bytesRead > 0 ? file.read(next, head, CHUNK, position) : NOTHING_READ;
      const from = visitLines(buffer, dataStart, available, end - base, base, fields, visit);
      if (base + from >= end) return base + from;
      if (bytesRead === 0) {
        // The end of the file, with `available - from` bytes of a line that has no `\n`.
        if (from < available && options.unterminated === "read") {
          visit(buffer, from, available, false, base + from);
          return base + available;
        }
        return base + from;
      }
      const carried = available - from;
      const carriedAt = base + from;
      if (carried > MAX_LINE_BYTES) {
        // Too long to be an event: skipped without being held, like every reader skips it.
        await reading;
        const lineEnd = await findLineEnd(file, position);
        const readTo = lineEnd === -1 ? (await file.stat()).size : lineEnd + 1;
        if (readTo > position) options.onBytes?.(readTo - position);
        if (lineEnd === -1 && options.unterminated === "leave") return carriedAt;
        tooLong();
        if (lineEnd === -1) return readTo;
        position = readTo;
        dataStart = head;
        base = position - head;
        reading = file.read(buffer, head, CHUNK, position);
        continue;
      }
      if (carried > head) {
        // A line longer than the room for it: wait for the chunk being read, and go on with
        // bigger buffers that have room for the line before it.
        const { bytesRead: more } = await reading;
        const bigger = head * 2 >= carried ? head * 2 : carried * 2;
        const grown = [Buffer.allocUnsafe(bigger + CHUNK), Buffer.allocUnsafe(bigger + CHUNK)];
        (grown[0] as Buffer).set(next.subarray(head, head + more), bigger);
        head = bigger;
        buffers = grown;
        current = 0;
        reading = Promise.resolve({ bytesRead: more, buffer: next });
      } else {
        current = 1 - current;
      }
      const target = buffers[current] as Buffer;
      buffer.copy(target, head - carried, from, available);
      dataStart = head - carried;
      base = carriedAt - dataStart;
    }
  } finally {
    await reading.catch(() => undefined); // a read still in flight must end before returning
    if (spare.length < SPARE_PAIRS) spare.push(pooled);
  }
}

/**
 * Visits the whole lines of `buffer[start, available)` that start before `stop` (the walk's end,
 * relative to the buffer), `base` being the buffer's file offset. Returns where it stopped: at
 * `stop` or after it (the next line's start), or before it where a line has no `\n` in the
 * buffer. The per-line loop is a function of its own: V8 optimizes it with the scanner inlined,
 * and a deoptimization of the walk's rarer paths (a chunk's end, the file's end, a carried
 * line) then does not make it compile that big code again (each thread compiled it ~8 times).
 * It computes nothing on its way out: code first run there (at a range's end) would do the same.
 */
function visitLines(
  buffer: Buffer,
  start: number,
  available: number,
  stop: number,
  base: number,
  fields: EventFields,
  visit: LineVisit,
): number {
  let from = start;
  for (;;) {
    if (from >= stop) return from;
    // `from < available`: a chunk full to its buffer's end, its last line whole, ends there.
    if (from < available && buffer[from] === OPEN_BRACE) {
      const newline = scanLineTo(buffer, from, available, fields);
      if (newline !== -1) {
        visit(buffer, from, newline, true, base + from);
        from = newline + 1;
        continue;
      }
    }
    const newline = buffer.indexOf(NEWLINE, from);
    if (newline === -1 || newline >= available) return from;
    visit(buffer, from, newline, false, base + from);
    from = newline + 1;
  }
}

// Read buffers left by finished walks, for the next walk of this thread: a report reads
// dozens of ranges, and a fresh pair of 1 MiB buffers for each was 20-40 MB of garbage.
const spare: Buffer[][] = [];
const SPARE_PAIRS = 2;

function takeBuffers(): Buffer[] {
  const pair = spare.pop();
  if (pair !== undefined) return pair;
  return [Buffer.allocUnsafe(HEAD_ROOM + CHUNK), Buffer.allocUnsafe(HEAD_ROOM + CHUNK)];
}

/** The offset of the first `\n` at or after `from`, or -1 at the end of the file. */
async function findLineEnd(file: FileHandle, from: number): Promise<number> {
  const probe = Buffer.allocUnsafe(CHUNK);
  for (let at = from; ; ) {
    const { bytesRead } = await file.read(probe, 0, CHUNK, at);
    if (bytesRead === 0) return -1;
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    if (newline !== -1) return at + newline;
    at += bytesRead;
  }
}
