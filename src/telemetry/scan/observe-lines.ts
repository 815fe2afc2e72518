import type { FileHandle } from "node:fs/promises";
import { type Event, isInvalid } from "../../events/event.js";
import { cleanLine, readEventLine } from "../event-line.js";
import { EventFields } from "./event-fields.js";
import type { IdKey } from "./id-set.js";
import { scanLine } from "./line-scanner.js";
import { walkLines } from "./line-walk.js";

/** What takes note of each valid event of a log (the emit index). */
export interface EventObserver {
  /** An event the full parse read. */
  observe(event: Event): void;
  /** An event the line scanner read: its clock and its id. */
  observeKey(lamportClock: number, id: IdKey): void;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const OPEN_BRACE = 0x7b;

/**
 * Hands every valid event of `log` from byte `start` (a line start) to `observer`, up to the
 * last whole line, and returns the offset after it. Lines the fast scanner accepts (those it
 * can prove the full parse accepts alike) are not parsed; every other line takes the full
 * parse, and one it refuses is skipped: an invalid line's id never counts as stored.
 */
export async function observeLines(
  log: FileHandle,
  start: number,
  observer: EventObserver,
  onChunk?: (bytes: Uint8Array, position: number) => void,
): Promise<number> {
  const fields = new EventFields();
  return walkLines(
    log,
    { start, end: Number.POSITIVE_INFINITY, unterminated: "leave", onChunk },
    fields,
    (bytes, from, to, scanned, at) => {
      if (scanned) observer.observeKey(fields.lamportClock, fields.id);
      else observeParsed(bytes, from, to, at === 0, observer);
    },
    () => undefined,
  );
}

/** The same for one line, `bytes[from, to)` without its `\n` (`first`: the file's line 1). */
export function observeLine(
  bytes: Uint8Array,
  from: number,
  to: number,
  first: boolean,
  fields: EventFields,
  observer: EventObserver,
): void {
  if (bytes[from] === OPEN_BRACE && scanLine(bytes, from, to, fields)) {
    observer.observeKey(fields.lamportClock, fields.id);
  } else {
    observeParsed(bytes, from, to, first, observer);
  }
}

/** The line's event by the full parse, or null when it is blank or not a valid event. */
export function parseLine(
  bytes: Uint8Array,
  from: number,
  to: number,
  first: boolean,
): Event | null {
  if (from === to) return null;
  let text: string;
  try {
    text = strictUtf8.decode(bytes.subarray(from, to));
  } catch {
    return null; // not UTF-8: not an event
  }
  // Only the file's first line may start with a byte-order mark.
  const event = readEventLine(cleanLine(text, first ? 1 : 0));
  return event !== null && !isInvalid(event) ? event : null;
}

function observeParsed(
  bytes: Uint8Array,
  from: number,
  to: number,
  first: boolean,
  observer: EventObserver,
): void {
  const event = parseLine(bytes, from, to, first);
  if (event !== null) observer.observe(event);
}
