import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
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
import { IdKey } from "./scan/id-set.js";

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
  // Every ULID in the covered log that is >= #from is in #window (ascending); null: all of them.
  // Ids are kept as keys, so that a rebuild compares a big log's ids as numbers, making no text.
  #from: IdKey | null = null;
  #window: IdKey[] = [];
  // A digest of the log's first #digest.end bytes, known to be theirs (null: not computed yet).
  #digest: PrefixDigest | null = null;

  /** Takes note of an event read from or written to the covered part of the log. */
  observe(event: Event): void {
    this.observeKey(event.lamport_clock, keyOf(event.event_id));
  }

  /** The same for an event the line scanner read: its clock, and its id as a key. */
  observeKey(lamportClock: number, id: IdKey): void {
    if (lamportClock > this.maxLamportClock) this.maxLamportClock = lamportClock;
    if (!id.isUlid) {
      this.#uuidCount++;
      return;
    }
    if (this.#from !== null && id.compareUlid(this.#from) < 0) return;
    const window = this.#window;
    const at = lowerBound(window, id);
    if (at < window.length && id.compareUlid(window[at] as IdKey) === 0) return;
    if (window.length < ID_WINDOW) {
      window.splice(at, 0, new IdKey().copyFrom(id));
      return;
    }
    // Full: the lowest id leaves (the new one itself when it is the lowest); the lowest kept
    // bounds what the window holds.
    if (at > 0) window.splice(at - 1, 0, (window.shift() as IdKey).copyFrom(id));
    this.#from = (this.#from ?? new IdKey()).copyFrom(window[0] as IdKey);
  }

  /** How many of the highest ULIDs it keeps (ids below them it only bounds). */
  static readonly NEWEST_IDS = 128;

  /** Makes this index a copy of `other` (to try a read on, and keep it only if it succeeds). */
  copyFrom(other: LogIndex): this {
    this.size = other.size;
    this.maxLamportClock = other.maxLamportClock;
    this.#uuidCount = other.#uuidCount;
    this.#from = other.#from === null ? null : new IdKey().copyFrom(other.#from);
    this.#window = other.#window.map((key) => new IdKey().copyFrom(key));
    this.#digest = other.#digest;
    return this;
  }

  /** Takes the digest of the covered bytes, computed while they were read (null: none). */
  adoptDigest(digest: PrefixDigest | null): void {
    if (digest !== null && digest.end === this.size) this.#digest = digest;
  }

  /** Whether the covered log holds `id`: true, false, or "unknown" (only a scan can tell). */
  contains(id: EventId): boolean | "unknown" {
    if (!isUlid(id)) return this.#uuidCount === 0 ? false : "unknown";
    const key = keyOf(id);
    if (this.#from !== null && key.compareUlid(this.#from) < 0) return "unknown";
    const at = lowerBound(this.#window, key);
    return at < this.#window.length && key.compareUlid(this.#window[at] as IdKey) === 0;
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
    index.#from = body.ulids_from === null ? null : new IdKey().copyFrom(keyOf(body.ulids_from));
    index.#window = [...body.ulids].sort().map((id) => new IdKey().copyFrom(keyOf(id)));
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
        ulids_from: this.#from?.ulidText() ?? null,
        ulids: this.#window.map((key) => key.ulidText()),
      };
      const json: IndexJson = { ...body, checksum: contentChecksum(JSON.stringify(body)) };
      await replaceFile(indexPath, `${JSON.stringify(json)}\n`);
    } catch {
      // A read-only folder, a full disk: the next save scans again.
    }
  }
}

const INDEX_VERSION = 2;
const ID_WINDOW = LogIndex.NEWEST_IDS;

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

function lowerBound(sorted: readonly IdKey[], key: IdKey): number {
  let lo = 0;
  let hi = sorted.length;
  // Ids mostly come in ascending order: the next one goes last.
  if (hi > 0 && key.compareUlid(sorted[hi - 1] as IdKey) > 0) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key.compareUlid(sorted[mid] as IdKey) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const scratchKey = new IdKey();

/** The key of a canonical id (in a scratch key: copy it to keep it). */
function keyOf(id: string): IdKey {
  const bytes = Buffer.from(id, "latin1");
  scratchKey.decode(bytes, 0, bytes.length);
  return scratchKey;
}
