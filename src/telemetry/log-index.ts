import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Event } from "../events/event.js";
import { type EventId, isUlid } from "../events/event-id.js";
import { readSmallFile, replaceFile } from "./project-paths.js";

/**
 * A small summary of a log kept beside it, so that a fresh process can append without scanning
 * the whole log: the highest Lamport clock, and enough of the ids to answer "is this id stored?"
 * in O(1) for new ids. It covers the log's first `size` bytes and is checked against them
 * (first and last bytes) before use: a log rewritten, truncated or reordered by a merge makes it
 * stale, and a stale or missing index is rebuilt by one scan. Lines appended by other writers
 * (the Python spec-kitty) are read from `size` on. Deleting it is always safe.
 */
export class LogIndex {
  /** Bytes of the log covered: always the end of a complete line. */
  size = 0;
  maxLamportClock = 0;
  #uuidCount = 0;
  // Every ULID in the covered log that is >= #ulidsFrom is in #ulids (sorted); null: all of them.
  #ulidsFrom: string | null = null;
  #ulids: string[] = [];

  /** Takes note of an event read from or written to the covered part of the log. */
  observe(event: Event): void {
    if (event.lamport_clock > this.maxLamportClock) this.maxLamportClock = event.lamport_clock;
    const id = event.event_id;
    if (!isUlid(id)) {
      this.#uuidCount++;
      return;
    }
    if (this.#ulidsFrom !== null && id < this.#ulidsFrom) return;
    const at = lowerBound(this.#ulids, id);
    if (this.#ulids[at] === id) return;
    this.#ulids.splice(at, 0, id);
    if (this.#ulids.length > ID_WINDOW) {
      this.#ulids.shift();
      this.#ulidsFrom = this.#ulids[0] ?? null;
    }
  }

  /** Whether the covered log holds `id`: true, false, or "unknown" (only a scan can tell). */
  contains(id: EventId): boolean | "unknown" {
    if (!isUlid(id)) return this.#uuidCount === 0 ? false : "unknown";
    if (this.#ulidsFrom !== null && id < this.#ulidsFrom) return "unknown";
    return this.#ulids[lowerBound(this.#ulids, id)] === id;
  }

  /** Reads the index for the log open as `log` (of `logSize` bytes); null when absent or stale. */
  static async load(indexPath: string, log: FileHandle, logSize: number): Promise<LogIndex | null> {
    let data: unknown;
    try {
      data = JSON.parse((await readSmallFile(indexPath, { maxBytes: 1 << 20 })) ?? "");
    } catch {
      return null;
    }
    const index = LogIndex.#fromJson(data);
    if (!index || index.size > logSize) return null;
    // #fromJson accepted `data`, so it is an object.
    const stored = data as { head?: unknown; tail?: unknown };
    const [head, tail] = await fingerprints(log, index.size);
    return stored.head === head && stored.tail === tail ? index : null;
  }

  /** Writes the index atomically. It is a cache: failing to write it loses only speed. */
  async save(indexPath: string, log: FileHandle): Promise<void> {
    const [head, tail] = await fingerprints(log, this.size);
    const body = {
      version: INDEX_VERSION,
      log_size: this.size,
      head,
      tail,
      max_lamport_clock: this.maxLamportClock,
      uuid_count: this.#uuidCount,
      ulids_from: this.#ulidsFrom,
      ulids: this.#ulids,
    };
    await replaceFile(indexPath, `${JSON.stringify(body)}\n`).catch(() => undefined);
  }

  static #fromJson(data: unknown): LogIndex | null {
    if (typeof data !== "object" || data === null) return null;
    const d = data as Record<string, unknown>;
    const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    const ulidsOk =
      Array.isArray(d.ulids) &&
      d.ulids.every((u) => typeof u === "string" && isUlid(u as EventId)) &&
      (d.ulids_from === null || typeof d.ulids_from === "string");
    if (
      d.version !== INDEX_VERSION ||
      !isCount(d.log_size) ||
      !isCount(d.max_lamport_clock) ||
      !isCount(d.uuid_count) ||
      !ulidsOk
    ) {
      return null;
    }
    const index = new LogIndex();
    index.size = d.log_size;
    index.maxLamportClock = d.max_lamport_clock;
    index.#uuidCount = d.uuid_count;
    index.#ulidsFrom = d.ulids_from as string | null;
    index.#ulids = [...(d.ulids as string[])].sort();
    return index;
  }
}

const INDEX_VERSION = 1;
const ID_WINDOW = 128;
const FINGERPRINT_BYTES = 64;

/** The path of the index kept beside a log: `.execution.events.jsonl.index.json`. */
export function indexPathFor(logPath: string): string {
  return join(dirname(logPath), `.${basename(logPath)}.index.json`);
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function fingerprints(log: FileHandle, size: number): Promise<[string, string]> {
  const length = Math.min(FINGERPRINT_BYTES, size);
  const read = async (position: number): Promise<string> => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await log.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead).toString("base64");
  };
  return [await read(0), await read(size - length)];
}
