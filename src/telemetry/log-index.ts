import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Static, Type } from "typebox";
import type { Event } from "../events/event.js";
import { type EventId, isUlid } from "../events/event-id.js";
import { lazyCompile } from "../events/lazy-compile.js";
import {
  contentChecksum,
  digestPrefix,
  extendDigest,
  FileStampSchema,
  fileStamp,
  type PrefixDigest,
  PrefixDigestSchema,
  sameDigest,
  sameStamp,
} from "./log-fingerprint.js";
import { readSmallFile, replaceFile } from "./project-paths.js";

/**
 * A small summary of a log kept beside it, so that a fresh process can append without scanning
 * the whole log: the highest Lamport clock, and enough of the ids to answer "is this id stored?"
 * in O(1) for new ids. It covers the log's first `size` bytes (always up to a line end) and is
 * checked against them before use: by the log's stamp when nothing wrote since, else by a digest
 * of those bytes. A log rewritten, truncated or reordered by a merge, or an index edited by hand
 * (a checksum), makes it stale, and a stale or missing index is rebuilt by one scan: it can
 * never make the next clock go below the log's. Lines appended by other writers (the Python
 * spec-kitty, without our lock) are read from `size` on. Deleting it is always safe.
 */
export class LogIndex {
  /** Bytes of the log covered: always the end of a complete line. */
  size = 0;
  maxLamportClock = 0;
  #uuidCount = 0;
  // Every ULID in the covered log that is >= #ulidsFrom is in #ulids (sorted); null: all of them.
  #ulidsFrom: string | null = null;
  #ulids: string[] = [];
  // A digest of the log's first #digest.end bytes, known to be theirs (null: not computed yet).
  #digest: PrefixDigest | null = null;

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

  /**
   * Reads the index for the log open as `log` (of `logSize` bytes); null when absent, not whole
   * (schema, checksum) or not about this log: its stamp (`FileStamp`) changed and the digest of
   * the bytes it covers is not theirs, as after a rewrite, a `git checkout` or a truncation.
   */
  static async load(indexPath: string, log: FileHandle, logSize: number): Promise<LogIndex | null> {
    let data: unknown;
    try {
      data = JSON.parse((await readSmallFile(indexPath, { maxBytes: 1 << 20 })) ?? "");
    } catch {
      return null;
    }
    if (!IndexShape.Check(data)) return null;
    const { checksum, ...body } = data;
    if (contentChecksum(JSON.stringify(body)) !== checksum) return null;
    if (body.digest.end !== body.log_size || body.log_size > logSize) return null;
    // An unchanged stamp: nothing wrote to the log since the index was saved. (Unlike the report
    // cache, a stamp taken in the tick of a write is trusted too: every save follows our own
    // write, so checking those by digest would read the whole log on every emit. Only a same-size
    // rewrite in that tick, on a kernel with coarse timestamps, could pass unseen.)
    const unchanged = sameStamp(body.stamp, fileStamp(await log.stat({ bigint: true })));
    if (!unchanged && !sameDigest(await digestPrefix(log, body.log_size), body.digest)) return null;
    const index = new LogIndex();
    index.size = body.log_size;
    index.maxLamportClock = body.max_lamport_clock;
    index.#uuidCount = body.uuid_count;
    index.#ulidsFrom = body.ulids_from;
    index.#ulids = [...body.ulids].sort();
    index.#digest = body.digest;
    return index;
  }

  /** Writes the index atomically. It is a cache: failing to write it loses only speed. */
  async save(indexPath: string, log: FileHandle): Promise<void> {
    try {
      // The bytes up to #digest were proven, those after it were read to build this index.
      this.#digest = this.#digest
        ? await extendDigest(log, this.#digest, this.size)
        : await digestPrefix(log, this.size);
      const body: Omit<IndexJson, "checksum"> = {
        version: INDEX_VERSION,
        log_size: this.size,
        stamp: fileStamp(await log.stat({ bigint: true })),
        digest: this.#digest,
        max_lamport_clock: this.maxLamportClock,
        uuid_count: this.#uuidCount,
        ulids_from: this.#ulidsFrom,
        ulids: this.#ulids,
      };
      const json: IndexJson = { ...body, checksum: contentChecksum(JSON.stringify(body)) };
      await replaceFile(indexPath, `${JSON.stringify(json)}\n`);
    } catch {
      // A read-only folder, a full disk: the next save scans again.
    }
  }
}

const INDEX_VERSION = 2;
const ID_WINDOW = 128;

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Ulid = Type.String({ pattern: "^[0-9A-HJKMNP-TV-Z]{26}$" });

const IndexSchema = Type.Object({
  version: Type.Literal(INDEX_VERSION),
  /** Bytes of the log covered: the end of a complete line. */
  log_size: Count,
  /** The log's stamp when the index was saved. */
  stamp: FileStampSchema,
  /** Of the log's first `log_size` bytes. */
  digest: PrefixDigestSchema,
  max_lamport_clock: Count,
  uuid_count: Count,
  ulids_from: Type.Union([Type.Null(), Ulid]),
  ulids: Type.Array(Ulid, { maxItems: ID_WINDOW }),
  /** sha256 of the JSON of the other fields, in this order. */
  checksum: Type.String({ pattern: "^[0-9a-f]{64}$" }),
});
type IndexJson = Static<typeof IndexSchema>;

const IndexShape = lazyCompile(IndexSchema);

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
