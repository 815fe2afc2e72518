import { join } from "node:path";
import { compareEvents, type Event, isInvalid } from "../events/event.js";
import { epochMicros } from "../events/timestamp.js";
import { LINE_TOO_LONG, readEventLine } from "./event-line.js";
import { EXECUTION_EVENT_TYPE } from "./execution-payload.js";
import { listFeatureDirs } from "./features.js";
import { readLogLines } from "./jsonl-reader.js";
import { fieldsMatcher, idText, scanLog } from "./latest-events.js";
import { EVENT_LOG_FILE } from "./project-paths.js";
import {
  compileFilter,
  type EventFilter,
  type ParsedFilter,
  type ProjectQueryOptions,
  parseFilter,
} from "./query.js";
import type { EventFields } from "./scan/event-fields.js";
import { IdKey, IdSet } from "./scan/id-set.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

/**
 * The order of a sorted stream: `time` is how `events` lists (timestamp, then clock, node and
 * id); `clock` is the store contract's `compareEvents` (clock, node, id).
 */
export type EventOrder = "time" | "clock";

export interface SortedEventsOptions {
  readonly warn: WarningSink;
  readonly order: EventOrder;
  /** Lines read at a time from each log (64 KiB by default): what each sorted log holds. */
  readonly chunkSize?: number | undefined;
  /** Called with the number of events held (read, not yet yielded) as it changes; for tests. */
  readonly onHeld?: ((held: number) => void) | undefined;
}

interface OrderKey {
  micros: number;
  lamportClock: number;
  nodeId: string;
  idTag: number;
  readonly idWords: Uint32Array;
}

function compareKeys(order: EventOrder, a: OrderKey, b: OrderKey): number {
  if (order === "time" && a.micros !== b.micros) return a.micros - b.micros;
  if (a.lamportClock !== b.lamportClock) return a.lamportClock - b.lamportClock;
  if (a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  if (a.idTag === b.idTag && sameWords(a.idWords, b.idWords)) return 0;
  const idA = idText(a.idTag, a.idWords);
  const idB = idText(b.idTag, b.idWords);
  return idA === idB ? 0 : idA < idB ? -1 : 1;
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** Events in `order`, each with its timestamp in microseconds (`time` order reads it often). */
interface Timed {
  readonly micros: number;
  readonly event: Event;
}

function compareTimed(order: EventOrder): (a: Timed, b: Timed) => number {
  return order === "time"
    ? (a, b) => a.micros - b.micros || compareEvents(a.event, b.event)
    : (a, b) => compareEvents(a.event, b.event);
}

/**
 * The matching events of the logs in `order`, the same sequence as reading them all (log by
 * log, file order) and sorting them stably, without holding them all. Each log is read twice:
 * first by the fast scanner, which checks whether its matching events are already in order
 * (logs are appended in time order; each log's malformed-line warning is given here), then
 * line by line as the events are merged (k-way, one cursor per log): a log in order holds one
 * chunk of lines at a time. A log out of order (a merge of two branches' lines, clocks set
 * back) is sorted in memory, that log alone.
 */
export async function* sortedEvents(
  paths: readonly string[],
  filter: ParsedFilter & { readonly eventType?: string | undefined },
  options: SortedEventsOptions,
): AsyncGenerator<Event> {
  const { order } = options;
  // The scan knows execution events from others, not other types: then it checks all events,
  // whose order implies the order of the matching ones.
  const scanMatches =
    filter.eventType === EXECUTION_EVENT_TYPE ? fieldsMatcher(filter) : () => true;
  const inOrder: boolean[] = [];
  for (const path of paths) {
    // Two keys, swapped line by line: the previous matching event's and this one's.
    let previous = newKey();
    let current = newKey();
    let first = true;
    let sorted = true;
    const visit = (fields: EventFields) => {
      if (!sorted || !scanMatches(fields)) return;
      copyKey(fields, current);
      if (!first && compareKeys(order, current, previous) < 0) sorted = false;
      [previous, current] = [current, previous];
      first = false;
    };
    await scanLog(path, visit, options.warn);
    inOrder.push(sorted);
  }

  const matches = compileFilter(filter);
  const compare = compareTimed(order);
  let held = 0;
  const onHeld = options.onHeld;
  const cursors: Cursor[] = [];
  for (const [index, path] of paths.entries()) {
    const events = logEvents(path, matches, options.chunkSize, (n) => {
      held += n;
      onHeld?.(held);
    });
    const source = inOrder[index] ? events : await sortedInMemory(events, compare);
    const cursor = new Cursor(index, source);
    if (await cursor.advance()) cursors.push(cursor);
  }
  const heap = new CursorHeap(cursors, (a, b) => compare(a.head, b.head) || a.index - b.index);
  for (;;) {
    const next = heap.top();
    if (next === undefined) return;
    const { event } = next.head;
    held--;
    onHeld?.(held);
    if (await next.advance()) heap.replaceTop(next);
    else heap.pop();
    yield event;
  }
}

function newKey(): OrderKey {
  return { micros: 0, lamportClock: 0, nodeId: "", idTag: 0, idWords: new Uint32Array(4) };
}

function copyKey(fields: EventFields, key: OrderKey): void {
  key.micros = fields.micros;
  key.lamportClock = fields.lamportClock;
  key.nodeId = fields.nodeId;
  key.idTag = fields.id.tag;
  key.idWords.set(fields.id.words);
}

/**
 * One log's matching events in file order, each id once, a chunk of lines at a time; `onRead`
 * is told how many events were read (+n) as they are. Warnings were given by the scan.
 */
async function* logEvents(
  path: string,
  matches: (event: Event) => boolean,
  chunkSize: number | undefined,
  onRead: (count: number) => void,
): AsyncGenerator<Timed> {
  const ids = new IdSet();
  const key = new IdKey();
  try {
    for await (const batch of readLogLines(path, { chunkSize: chunkSize ?? 64 << 10 })) {
      const found: Timed[] = [];
      for (const { text, tooLong } of batch.lines) {
        const event = tooLong ? LINE_TOO_LONG : readEventLine(text);
        if (event === null || isInvalid(event)) continue;
        const idBytes = Buffer.from(event.event_id, "latin1");
        key.decode(idBytes, 0, idBytes.length);
        if (!ids.add(key) || !matches(event)) continue;
        found.push({ micros: epochMicros(event.timestamp), event });
      }
      onRead(found.length);
      yield* found;
    }
  } catch {
    // Unreadable since the scan (which warned of what it could not read): nothing more.
  }
}

async function sortedInMemory(
  events: AsyncIterable<Timed>,
  compare: (a: Timed, b: Timed) => number,
): Promise<AsyncIterable<Timed>> {
  const all: Timed[] = [];
  for await (const timed of events) all.push(timed);
  all.sort(compare);
  return (async function* () {
    yield* all;
  })();
}

class Cursor {
  readonly index: number;
  readonly #source: AsyncIterator<Timed>;
  head!: Timed;

  constructor(index: number, source: AsyncIterable<Timed>) {
    this.index = index;
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Moves to the next event; false at the end. */
  async advance(): Promise<boolean> {
    const next = await this.#source.next();
    if (next.done) return false;
    this.head = next.value;
    return true;
  }
}

/** A binary min-heap of cursors by their heads. */
class CursorHeap {
  readonly #items: Cursor[];
  readonly #less: (a: Cursor, b: Cursor) => number;

  constructor(items: Cursor[], less: (a: Cursor, b: Cursor) => number) {
    this.#items = items;
    this.#less = less;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  top(): Cursor | undefined {
    return this.#items[0];
  }

  /** The top cursor moved on: put it where its new head belongs. */
  replaceTop(cursor: Cursor): void {
    this.#items[0] = cursor;
    this.#down(0);
  }

  pop(): void {
    const last = this.#items.pop();
    if (last !== undefined && this.#items.length > 0) this.replaceTop(last);
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      let least = i;
      if (left < n && this.#less(items[left] as Cursor, items[least] as Cursor) < 0) least = left;
      const right = left + 1;
      if (right < n && this.#less(items[right] as Cursor, items[least] as Cursor) < 0)
        least = right;
      if (least === i) return;
      [items[i], items[least]] = [items[least] as Cursor, items[i] as Cursor];
      i = least;
    }
  }
}

/**
 * Every matching event of the project sorted by `(lamport_clock, node_id)` (then id), as
 * `queryProjectEvents` returns them, one at a time without holding them all: for large
 * projects. Each log in order holds a chunk of its lines; a log out of order is sorted in
 * memory, that log alone (see `sortedEvents`).
 */
export async function* streamProjectEventsSorted(
  repoRoot: string,
  filter: EventFilter = {},
  options: ProjectQueryOptions = {},
): AsyncGenerator<Event> {
  const warn = options.warn ?? stderrWarningSink;
  const parsed = parseFilter(filter);
  const features = await listFeatureDirs(repoRoot, { pattern: options.feature, warn });
  const paths = features.map(({ dir }) => join(dir, EVENT_LOG_FILE));
  yield* sortedEvents(paths, parsed, { warn, order: "clock" });
}
