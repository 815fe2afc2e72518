import { writeSync } from "node:fs";
import { type FileHandle, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { monotonicFactory } from "ulid";
import { compareEvents, type Event, isInvalid, serializeEvent } from "../events/event.js";
import type { EventId } from "../events/event-id.js";
import type { EventStore } from "../events/store.js";
import { removeCrashLeftovers } from "./crash-leftovers.js";
import { LINE_TOO_LONG, malformedLinesWarning, readEventLine } from "./event-line.js";
import { EXECUTION_FLOAT_KEYS } from "./execution-payload.js";
import { withFileLock } from "./file-lock.js";
import { readLogLines } from "./jsonl-reader.js";
import { PrefixDigester } from "./log-fingerprint.js";
import { indexPathFor, LogIndex } from "./log-index.js";
import { assertFolderInside, openForAppend, projectRootOf } from "./project-paths.js";
import { observeLines } from "./scan/observe-lines.js";
import { skimLines } from "./scan/skim-lines.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

/** What one read of a log found. */
export interface LogReadStats {
  /** Non-blank lines seen. */
  lines: number;
  /** Distinct valid events returned. */
  events: number;
  /** Lines skipped as not JSON, not UTF-8 or not a valid event. */
  skipped: number;
  /** Valid lines whose event id was already read (logs merged by git). */
  duplicates: number;
  /** The first skipped line and why, for the warning. */
  firstSkipped: { readonly line: number; readonly reason: string } | null;
}

/** What a writer sees of the log, under its lock, to build the next event. */
export interface LogHead {
  /** The highest Lamport clock of any event in the log (0 when empty). */
  readonly maxLamportClock: number;
  /** A new ULID, unique by construction: the store skips the duplicate check for it. */
  mintEventId(): EventId;
}

export interface SimpleJsonStoreOptions {
  /** Where warnings go (malformed lines are reported once per read of a file). */
  readonly warn?: WarningSink;
  /** Nothing outside this folder is read or written; default: the log's project (see projectRootOf). */
  readonly root?: string;
}

const NEWLINE = 0x0a;
const mintUlid = monotonicFactory();

/**
 * An `EventStore` in one append-only JSONL file, line-compatible with the Python spec-kitty.
 *
 * Reads stream the file and never throw on its content: malformed lines are skipped, counted and
 * reported once per read. Writes take an inter-process lock, append one whole line, and are
 * idempotent by event id; a sidecar `LogIndex` keeps a fresh process's first save O(1).
 */
export class SimpleJsonStore implements EventStore {
  readonly filePath: string;
  readonly #warn: WarningSink;
  readonly #indexPath: string;
  readonly #root: string;

  constructor(filePath: string, options: SimpleJsonStoreOptions = {}) {
    this.filePath = filePath;
    this.#warn = options.warn ?? stderrWarningSink;
    this.#root = options.root ?? projectRootOf(filePath);
    this.#indexPath = indexPathFor(filePath);
  }

  /** Every valid event in file order, each id once; the stats object fills in as it goes. */
  async *events(stats: LogReadStats = emptyStats()): AsyncGenerator<Event> {
    try {
      for await (const batch of this.#distinctBatches(stats)) yield* batch;
    } finally {
      this.#reportSkipped(stats);
    }
  }

  /** Reads the whole log: its events in file order and what the read found. */
  async read(): Promise<{ events: Event[]; stats: LogReadStats }> {
    const stats = emptyStats();
    const events: Event[] = [];
    try {
      for await (const batch of this.#distinctBatches(stats)) {
        for (const event of batch) events.push(event);
      }
    } finally {
      this.#reportSkipped(stats);
    }
    return { events, stats };
  }

  // Batches keep the per-event cost synchronous: one await per chunk, not per line.
  async *#distinctBatches(stats: LogReadStats): AsyncGenerator<Event[]> {
    const seen = new Set<string>();
    for await (const batch of this.#scan(0, stats)) {
      const distinct: Event[] = [];
      for (const event of batch) {
        if (seen.has(event.event_id)) {
          stats.duplicates++;
          continue;
        }
        seen.add(event.event_id);
        distinct.push(event);
      }
      stats.events += distinct.length;
      yield distinct;
    }
  }

  async loadEvents(aggregateId: string): Promise<Event[]> {
    const { events } = await this.read();
    return events.filter((e) => e.aggregate_id === aggregateId).sort(compareEvents);
  }

  async loadAllEvents(): Promise<Event[]> {
    const { events } = await this.read();
    return events.sort(compareEvents);
  }

  /** Appends `event` unless its id is already in the log; true when it was written. */
  async saveEvent(event: Event): Promise<boolean> {
    return (await this.appendNext(() => event)) !== null;
  }

  /**
   * Appends the event that `build` makes from the log's current head, all under the log's lock,
   * then runs `afterWrite` still under it (e.g. to save a clock). Returns the event, or null when
   * its id was already stored.
   */
  async appendNext(
    build: (head: LogHead) => Promise<Event> | Event,
    afterWrite?: (event: Event) => Promise<void>,
  ): Promise<Event | null> {
    const written = await this.appendMany(
      async (head) => [await build(head)],
      afterWrite && ((events) => afterWrite(events[0] as Event)),
    );
    return written[0] ?? null;
  }

  /**
   * `appendNext` for many events at once (an import): the events `build` makes from the head,
   * less those whose id is already stored (or repeated in the batch), appended in one write under
   * one lock, then `afterWrite` still under it; a log that may hold one of the ids is scanned once
   * for all of them, not once per event. Returns the events written, in order.
   */
  async appendMany(
    build: (head: LogHead) => Promise<readonly Event[]> | readonly Event[],
    afterWrite?: (events: readonly Event[]) => Promise<void>,
  ): Promise<Event[]> {
    // Checked before anything is made: the folder, and the lock beside the log.
    await assertFolderInside(dirname(this.filePath), this.#root);
    await mkdir(dirname(this.filePath), { recursive: true });
    return withFileLock(this.filePath, async (lock) => {
      if (lock.tookOver) await removeCrashLeftovers(this.filePath);
      const log = await openForAppend(this.filePath, this.#root);
      try {
        const size = (await log.stat()).size;
        const index = await this.#currentIndex(log, size);
        const minted = new Set<string>();
        const built = await build({
          maxLamportClock: index.maxLamportClock,
          mintEventId: () => {
            const id = mintUlid() as EventId;
            minted.add(id);
            return id;
          },
        });
        const stored = await this.#storedAmong(index, built, minted);
        const events = built.filter((e) => {
          if (stored.has(e.event_id)) return false;
          stored.add(e.event_id);
          return true;
        });
        if (events.length === 0) return [];
        const text = events.map((e) => `${serializeEvent(e, EXECUTION_FLOAT_KEYS)}\n`).join("");
        const line = Buffer.from(text, "utf8");
        // A torn last line (a writer that crashed mid-line) must not swallow ours.
        const separator = (await endsInFragment(log, size)) ? Buffer.from("\n") : null;
        const bytes = separator ? Buffer.concat([separator, line]) : line;
        // A writer paused past the stale time has lost the lock: it must not write (it would
        // duplicate the new holder's clock), and is run again under a fresh lock instead.
        lock.assertHeld();
        writeAll(log, bytes);
        // The lines are in: from here the append has happened, whatever becomes of the lock.
        for (const e of events) index.observe(e);
        if (!lock.isHeld()) return events;
        // A raw writer (the Python CLI takes no lock) may have appended since `size`, before or
        // after our lines: the index covers only whole lines read back, never a computed offset.
        await readTail(log, index);
        if (afterWrite) await afterWrite(events);
        await index.save(this.#indexPath, log);
        return events;
      } finally {
        await log.close();
      }
    });
  }

  /** Which of `events`' ids the log holds: by the index, else by one scan for all of them. */
  async #storedAmong(
    index: LogIndex,
    events: readonly Event[],
    minted: ReadonlySet<string>,
  ): Promise<Set<string>> {
    const found = new Set<string>();
    const unknown = new Set<string>();
    for (const { event_id: id } of events) {
      if (minted.has(id)) continue;
      const known = index.contains(id);
      if (known === true) found.add(id);
      else if (known === "unknown") unknown.add(id);
    }
    if (unknown.size === 0) return found;
    for await (const batch of this.#scan(0, emptyStats())) {
      for (const event of batch) {
        if (unknown.delete(event.event_id)) found.add(event.event_id);
      }
      if (unknown.size === 0) break; // every id it could not answer for is found
    }
    return found;
  }

  /** The index brought up to date with everything appended since it was written. */
  async #currentIndex(log: FileHandle, size: number): Promise<LogIndex> {
    const index = (await LogIndex.load(this.#indexPath, log, size)) ?? new LogIndex();
    if (index.size < size) await readTail(log, index);
    return index;
  }

  /** Valid events from byte `start` on, a batch per chunk. */
  async *#scan(start: number, stats: LogReadStats): AsyncGenerator<Event[]> {
    for await (const batch of readLogLines(this.filePath, { start, root: this.#root })) {
      const events: Event[] = [];
      for (const { text, number, tooLong } of batch.lines) {
        const event = tooLong ? LINE_TOO_LONG : readEventLine(text);
        if (event === null) continue;
        stats.lines++;
        if (!isInvalid(event)) {
          events.push(event);
          continue;
        }
        stats.skipped++;
        stats.firstSkipped ??= { line: number, reason: event.error };
      }
      yield events;
    }
  }

  #reportSkipped(stats: LogReadStats): void {
    const warning = malformedLinesWarning(this.filePath, stats);
    if (warning) this.#warn(warning);
  }
}

/**
 * Reads the lines after those the index covers into it, up to the last whole one, through the
 * handle the writer holds. A big log is skimmed (only the lines that decide the index are
 * validated); when the skim cannot tell, every line is read with the report's line scanner.
 */
async function readTail(log: FileHandle, index: LogIndex): Promise<void> {
  // A rebuild reads the log from its start: the index's digest is taken from the same bytes,
  // so that saving it does not read the whole log again.
  const rebuild = index.size === 0;
  let digester = rebuild ? await PrefixDigester.create() : null;
  const trial = new LogIndex().copyFrom(index);
  const skimmed = await skimLines(log, index.size, trial, {
    newestIds: LogIndex.NEWEST_IDS,
    onChunk: digester?.update.bind(digester),
  });
  if (skimmed !== null) {
    trial.size = skimmed;
    if (digester) trial.adoptDigest(digester.digest(skimmed));
    index.copyFrom(trial);
    return;
  }
  digester = rebuild ? await PrefixDigester.create() : null;
  index.size = await observeLines(log, index.size, index, digester?.update.bind(digester));
  if (digester) index.adoptDigest(digester.digest(index.size));
}

function emptyStats(): LogReadStats {
  return { lines: 0, events: 0, skipped: 0, duplicates: 0, firstSkipped: null };
}

async function endsInFragment(log: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await log.read(last, 0, 1, size - 1);
  return last[0] !== NEWLINE;
}

// Synchronous, so that nothing runs between the lock check and the write.
function writeAll(log: FileHandle, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += writeSync(log.fd, bytes, offset, bytes.length - offset, null);
  }
}
