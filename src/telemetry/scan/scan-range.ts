import { type FileHandle, open } from "node:fs/promises";
import { isInvalid } from "../../events/event.js";
import { cleanLine, LINE_TOO_LONG, readEventLine } from "../event-line.js";
import { type PrefixDigest, PrefixDigester } from "../log-fingerprint.js";
import { READ_FLAGS } from "../project-paths.js";
import { localPeriodKeyer, type PeriodUnit } from "../time-zone.js";
import { ALL_KEY_FIELDS } from "../usage-rows.js";
import { EventFields } from "./event-fields.js";
import type { IdMemory } from "./id-set.js";
import { type WalkOptions, walkLines } from "./line-walk.js";
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
  /**
   * Given (with `start` 0), the prefix digest of the bytes read is taken from the chunks read,
   * when the file read is this one (device and inode): the cache save need not read it again.
   */
  readonly digestOf?: FileIdentity | undefined;
}

/** A file's device and inode (as `fileStamp` writes them). */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

export interface RangeScan {
  readonly tally: LogTally;
  /** The offset after the last line read. */
  readonly end: number;
  /** With `digestOf`: the digest of the file's first `end` bytes, the very bytes summed; else null. */
  readonly digest: PrefixDigest | null;
}

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
  const readLine = (
    bytes: Uint8Array,
    from: number,
    to: number,
    scanned: boolean,
    at: number,
  ): void => {
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
      // Only the first bad line's reason is kept: the others' need not be worked out.
      const explain = tally.firstSkipped === null;
      const event = readEventLine(text === null ? null : cleanLine(text, lineNumber), explain);
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
    if (visit !== undefined) visit(fields, at, to - from);
    else if (fields.isExecution && fields.micros >= since && fields.micros <= until)
      tally.rows.add(fields, periodOf === null ? null : periodOf(fields.micros), keep);
  };

  // The caller checked the file (a regular file inside the project); these flags keep a swap
  // for a symlink or a FIFO from hanging or leading out.
  const file = await open(path, READ_FLAGS);
  try {
    const digester = await digesterFor(file, options);
    // Only bytes before `end` are hashed: those are the ones a whole log's scan sums.
    const onChunk =
      digester === null
        ? undefined
        : (bytes: Uint8Array, position: number) => {
            if (position < options.end)
              digester.update(bytes.subarray(0, options.end - position), position);
          };
    // A literal of the same keys for every range: one shape of options for the walk's code
    // (the jobs' own objects have various shapes, and each new one made V8 recompile it).
    const walk: WalkOptions = {
      start: options.start,
      end: options.end,
      unterminated: options.unterminated,
      onBytes: options.onBytes,
      onChunk,
    };
    const end = await walkLines(file, walk, fields, readLine, () => {
      tally.lines++;
      tally.skipped++;
      tally.firstSkipped ??= { line: tally.lines, reason: LINE_TOO_LONG.error };
    });
    return { tally, end, digest: digester?.digest(end) ?? null };
  } finally {
    await file.close();
  }
}

/** A digester when `options` ask for one and `file` is the file they name; else null. */
async function digesterFor(
  file: FileHandle,
  options: RangeOptions,
): Promise<PrefixDigester | null> {
  const want = options.digestOf;
  if (want === undefined || options.start !== 0) return null;
  const { dev, ino } = await file.stat({ bigint: true });
  if (String(dev) !== want.dev || String(ino) !== want.ino) return null;
  return PrefixDigester.create();
}
