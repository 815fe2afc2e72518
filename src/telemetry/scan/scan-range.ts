import { type FileHandle, open } from "node:fs/promises";
import { isInvalid } from "../../events/event.js";
import { cleanLine, LINE_TOO_LONG, MAX_LINE_BYTES, readEventLine } from "../event-line.js";
import { READ_FLAGS } from "../project-paths.js";
import { localPeriodKeyer, type PeriodUnit } from "../time-zone.js";
import { ALL_KEY_FIELDS } from "../usage-rows.js";
import { EventFields } from "./event-fields.js";
import type { IdMemory } from "./id-set.js";
import { scanLineTo } from "./line-scanner.js";
import { LogTally } from "./log-tally.js";

/** Inclusive bounds in epoch microseconds; events outside are read (and deduplicated) but not summed. */
export interface TimeWindow {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  /** When set, rows are kept apart by the events' period in this IANA zone (time buckets). */
  readonly period?: { readonly zone: string; readonly unit: PeriodUnit } | undefined;
  /** The key fields rows keep (KEY_FIELD_BITS); default all. */
  readonly keep?: number | undefined;
}

export interface RangeOptions {
  /** A line start (0, or just after a `\n`). */
  readonly start: number;
  /** Where to stop: lines that start before it are read (use the file size for "to the end"). */
  readonly end: number;
  /** The ids of the lines before `start` (and receives those read), to count each event once. */
  readonly ids: IdMemory;
  readonly window?: TimeWindow | undefined;
  /**
   * What to do with a last line that has no `\n` (a write in progress, or a torn one): "read"
   * it like any line, or "leave" it (it may still grow; `RangeScan.end` stops before it).
   */
  readonly unterminated: "read" | "leave";
  /** Called with the bytes of each chunk read (for a progress indicator). */
  readonly onBytes?: ((bytes: number) => void) | undefined;
  /**
   * Given, each distinct valid event (any type, any time) goes to it instead of the rows: its
   * fields, and where its line is in the file (offset and length in bytes, no `\n`).
   */
  readonly visit?: ((fields: EventFields, offset: number, length: number) => void) | undefined;
}

export interface RangeScan {
  readonly tally: LogTally;
  /** The offset after the last line read. */
  readonly end: number;
}

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CHUNK = 1 << 20;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Sums one byte range of a log, line by line, exactly as the store's full read followed by the
 * cost engine would: the same lines skipped, the same duplicates dropped, the same totals.
 * Lines the fast scanner accepts skip JSON.parse; the others take the full parse.
 */
export async function scanRange(path: string, options: RangeOptions): Promise<RangeScan> {
  const { ids, window } = options;
  const since = window?.since ?? Number.NEGATIVE_INFINITY;
  const until = window?.until ?? Number.POSITIVE_INFINITY;
  const tally = new LogTally();
  const fields = new EventFields();
  const period = window?.period;
  const periodOf = period === undefined ? null : localPeriodKeyer(period.zone, period.unit);
  const keep = window?.keep ?? ALL_KEY_FIELDS;
  const { visit } = options;

  // A line the fast scanner has accepted (fields filled) or, with `from`/`to`, any other line.
  const readLine = (bytes: Uint8Array, from: number, to: number, scanned: boolean): void => {
    tally.lines++;
    if (from === to) return; // blank
    if (!scanned) {
      let text: string | null;
      try {
        text = strictUtf8.decode(bytes.subarray(from, to));
      } catch {
        text = null;
      }
      // Only the file's first line may start with a byte-order mark.
      const lineNumber = options.start === 0 ? tally.lines : 0;
      const event = readEventLine(text === null ? null : cleanLine(text, lineNumber));
      if (event === null) return;
      if (isInvalid(event)) {
        tally.skipped++;
        tally.firstSkipped ??= { line: tally.lines, reason: event.error };
        return;
      }
      fields.fromEvent(event);
    }
    if (!ids.add(fields.id)) {
      tally.duplicates++;
      return;
    }
    if (visit !== undefined) visit(fields, base + from, to - from);
    else if (fields.isExecution && fields.micros >= since && fields.micros <= until)
      tally.rows.add(fields, periodOf === null ? null : periodOf(fields.micros), keep);
  };

  // The caller checked the file (a regular file inside the project); these flags keep a swap
  // for a symlink or a FIFO from hanging or leading out.
  const file = await open(path, READ_FLAGS);
  // Two buffers: the next chunk is read into one while the other is scanned, so the thread
  // does not wait for the disk between chunks. Each keeps `head` bytes free before its data,
  // where the partial last line of the previous chunk is copied.
  let head = HEAD_ROOM;
  let buffers = [Buffer.allocUnsafe(head + CHUNK), Buffer.allocUnsafe(head + CHUNK)];
  let current = 0;
  let position = options.start;
  let reading: Promise<{ bytesRead: number }> = file.read(
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
      position += bytesRead;
      if (bytesRead > 0) options.onBytes?.(bytesRead);
      const buffer = buffers[current] as Buffer;
      const next = buffers[1 - current] as Buffer;
      const available = head + bytesRead;
      reading = bytesRead > 0 ? file.read(next, head, CHUNK, position) : NOTHING_READ;
      let from = dataStart;
      for (;;) {
        if (base + from >= options.end) return { tally, end: base + from };
        if (buffer[from] === OPEN_BRACE) {
          const newline = scanLineTo(buffer, from, available, fields);
          if (newline !== -1) {
            readLine(buffer, from, newline, true);
            from = newline + 1;
            continue;
          }
        }
        const newline = buffer.indexOf(NEWLINE, from);
        if (newline === -1 || newline >= available) break;
        readLine(buffer, from, newline, false);
        from = newline + 1;
      }
      if (bytesRead === 0) {
        // The end of the file, with `available - from` bytes of a line that has no `\n`.
        if (from < available && options.unterminated === "read") {
          readLine(buffer, from, available, false);
          return { tally, end: base + available };
        }
        return { tally, end: base + from };
      }
      const carried = available - from;
      const carriedAt = base + from;
      if (carried > MAX_LINE_BYTES) {
        // Too long to be an event: skipped without being held, like every reader skips it.
        await reading;
        const lineEnd = await findLineEnd(file, position);
        const readTo = lineEnd === -1 ? (await file.stat()).size : lineEnd + 1;
        if (readTo > position) options.onBytes?.(readTo - position);
        if (lineEnd === -1 && options.unterminated === "leave") return { tally, end: carriedAt };
        tally.lines++;
        tally.skipped++;
        tally.firstSkipped ??= { line: tally.lines, reason: LINE_TOO_LONG.error };
        if (lineEnd === -1) return { tally, end: readTo };
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
        reading = Promise.resolve({ bytesRead: more });
      } else {
        current = 1 - current;
      }
      const target = buffers[current] as Buffer;
      buffer.copy(target, head - carried, from, available);
      dataStart = head - carried;
      base = carriedAt - dataStart;
    }
  } finally {
    await reading.catch(() => undefined); // a read still in flight must end before the close
    await file.close();
  }
}

const HEAD_ROOM = 64 << 10;

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
const NOTHING_READ = Promise.resolve({ bytesRead: 0 });
