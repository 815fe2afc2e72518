import { open } from "node:fs/promises";
import { type Event, isInvalid } from "../events/event.js";
import type { ParsedFilter } from "./event-filter.js";
import { cleanLine, malformedLinesWarning, readEventLine } from "./event-line.js";
import { Latest } from "./latest.js";
import { warnLogUnreadable } from "./log-unreadable.js";
import { openForRead, READ_FLAGS } from "./project-paths.js";
import type { EventFields } from "./scan/event-fields.js";
import { IdSet } from "./scan/id-set.js";
import { scanRange } from "./scan/scan-range.js";
import type { WarningSink } from "./warnings.js";

/**
 * Where a matching event's line is, with the key it is listed by: its time, then
 * `compareEvents` (clock, node, id), then the order it was read in (a stable sort's order).
 */
export interface EventPlace {
  readonly micros: number;
  readonly lamportClock: number;
  readonly nodeId: string;
  /** The event id's decoded form (its text is made only to break a tie). */
  readonly idTag: number;
  readonly idWords: readonly [number, number, number, number];
  readonly seq: number;
  readonly log: number;
  readonly offset: number;
  readonly length: number;
}

/** The order `events` lists in: oldest first, ties by clock, node, id, then reading order. */
export function comparePlaces(a: EventPlace, b: EventPlace): number {
  if (a.micros !== b.micros) return a.micros - b.micros;
  if (a.lamportClock !== b.lamportClock) return a.lamportClock - b.lamportClock;
  if (a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  const idA = idText(a.idTag, a.idWords);
  const idB = idText(b.idTag, b.idWords);
  if (idA !== idB) return idA < idB ? -1 : 1;
  return a.seq - b.seq;
}

export interface LatestEventsOptions {
  readonly warn: WarningSink;
  /** Called with how many places are held after each one is offered (for tests: never above `limit`). */
  readonly onHeld?: ((held: number) => void) | undefined;
}

/**
 * The last `limit` matching execution events of the logs (in `events` order, oldest first),
 * holding only `limit` places while it reads, never the events: each line is read by the fast
 * scanner (the full parse for the lines it leaves), deduplicated by id within its log, and
 * offered to a heap of `limit`; a line older than the heap's oldest is dropped without more
 * work. Only the `limit` lines kept are parsed into events, at the end. Each log's malformed
 * lines are one warning, and an unreadable log one LOG_UNREADABLE warning, as the store's read
 * gives them.
 */
export async function latestEvents(
  paths: readonly string[],
  filter: ParsedFilter,
  limit: number,
  options: LatestEventsOptions,
): Promise<Event[]> {
  const latest = new Latest<EventPlace>(limit, comparePlaces);
  const matches = fieldsMatcher(filter);
  let seq = 0;
  for (const [log, path] of paths.entries()) {
    const visit = (fields: EventFields, offset: number, length: number) => {
      if (!matches(fields)) return;
      const least = latest.size === limit ? latest.least() : undefined;
      // Older than every kept event: it cannot be among the last `limit`.
      if (least !== undefined && fields.micros < least.micros) return;
      const w = fields.id.words;
      latest.add({
        micros: fields.micros,
        lamportClock: fields.lamportClock,
        nodeId: fields.nodeId,
        idTag: fields.id.tag,
        idWords: [w[0] as number, w[1] as number, w[2] as number, w[3] as number],
        seq: seq++,
        log,
        offset,
        length,
      });
      options.onHeld?.(latest.size);
    };
    await scanLog(path, visit, options.warn);
  }
  return readPlaces(paths, latest.sorted());
}

/** One log, read with `visit` for each distinct valid event; warnings as the store gives them. */
export async function scanLog(
  path: string,
  visit: (fields: EventFields, offset: number, length: number) => void,
  warn: WarningSink,
): Promise<void> {
  let size: number;
  try {
    const handle = await openForRead(path);
    if (handle === null) return;
    try {
      size = (await handle.stat()).size;
    } finally {
      await handle.close();
    }
    const { tally } = await scanRange(path, {
      start: 0,
      end: size,
      ids: new IdSet(),
      unterminated: "read",
      visit,
    });
    const warning = malformedLinesWarning(path, tally);
    if (warning) warn(warning);
  } catch (e) {
    warnLogUnreadable(path, e, warn);
  }
}

/** The events at `places` (in that order), each line read again and fully parsed. */
async function readPlaces(paths: readonly string[], places: EventPlace[]): Promise<Event[]> {
  const events: Event[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (const place of places) {
    const file = await open(paths[place.log] as string, READ_FLAGS);
    try {
      const bytes = Buffer.alloc(place.length);
      const { bytesRead } = await file.read(bytes, 0, place.length, place.offset);
      // Only the file's first line may start with a byte-order mark.
      const text = cleanLine(
        decoder.decode(bytes.subarray(0, bytesRead)),
        place.offset === 0 ? 1 : 0,
      );
      const event = readEventLine(text);
      // The scan accepted this line: it reads the same unless the log was rewritten meanwhile.
      if (event !== null && !isInvalid(event)) events.push(event);
    } finally {
      await file.close();
    }
  }
  return events;
}

/** A parsed filter, on the fields of an event read by the scan (execution events only). */
export function fieldsMatcher(filter: ParsedFilter): (fields: EventFields) => boolean {
  const since = filter.sinceMicros ?? Number.NEGATIVE_INFINITY;
  const until = filter.untilMicros ?? Number.POSITIVE_INFINITY;
  const { wpId, agent, model, role, success } = filter;
  return (f) =>
    f.isExecution &&
    f.micros >= since &&
    f.micros <= until &&
    (wpId === undefined || f.wpId === wpId) &&
    (agent === undefined || f.agent === agent) &&
    (model === undefined || f.model === model) &&
    (role === undefined || f.role === role) &&
    (success === undefined || f.success === success);
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const UUID_TAG = 0xffff;

/** The canonical text of a decoded id (`normalizeEventId`'s form): upper-case ULID, hyphenated lower-case UUID. */
export function idText(tag: number, words: ArrayLike<number>): string {
  let text = "";
  if (tag === UUID_TAG) {
    for (let w = 0; w < 4; w++) text += ((words[w] as number) >>> 0).toString(16).padStart(8, "0");
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  }
  for (let w = 0; w < 4; w++) {
    const value = words[w] as number;
    for (let shift = 25; shift >= 0; shift -= 5) text += CROCKFORD[(value >>> shift) & 31];
  }
  const last = tag - 1;
  return text + CROCKFORD[(last >>> 5) & 31] + CROCKFORD[last & 31];
}
