import type { BigIntStats } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import {
  contentChecksum,
  digestPrefix,
  extendDigest,
  FileStampSchema,
  fileStamp,
  type PrefixDigest,
  PrefixDigestSchema,
  racyStamp,
  sameStamp,
} from "../log-fingerprint.js";
import { randomBytes } from "../node-crypto.js";
import { CREATE_NEW_FLAGS, READ_FLAGS } from "../project-paths.js";
import { readCheckedJson, writeCheckedJson } from "./checked-json.js";
import { IdSet, type IdSetData, joinSummaries, SLOT_WORDS } from "./id-set.js";
import { LogTally } from "./log-tally.js";
import { provePrefix } from "./prefix-proof.js";
import { checkHeader } from "./summary-cache-header.generated.js";

/**
 * The report's incremental cache: for each log, the tally of its first `end` bytes and the ids
 * seen there, so that a later report reads only what was appended. It lives in
 * `.kittify/cache/` and may be deleted at any time. It must never change a number.
 *
 * An entry is used as it is only while the log's stamp (device, inode, size, mtime, ctime) is
 * the one it was saved with, and that stamp was not taken within a timestamp tick of a write
 * (`racyStamp`). Otherwise the log's first `end` bytes are hashed and compared with the entry's
 * digest of them: the same bytes (an append, a `touch`) keep the entry, anything else (a
 * `git checkout`, `cp` over it, an edit anywhere) rebuilds it from a full read. An entry that
 * does not read back whole (a schema, and checksums of the header and of every id table) is
 * ignored and rebuilt. Prices are not cached (the rows hold tokens), so a changed pricing file
 * needs nothing here.
 *
 * Files: `<key>.json` (the tally and the list of id segments, then a line with the sha256 of
 * the JSON before it) and `<key>.<random>.ids` (a
 * segment: an IdSet's sorted run and hash table). Each save adds one segment with the ids read
 * since the last, so saving after an append writes a small file; past MAX_SEGMENTS they are
 * merged into one. The segments are read only when an appended event could be a repeat: its
 * ULID is not newer than every cached one (new events have new ULIDs), or it is a UUID and the
 * cache holds some.
 */
export interface CachedLog {
  /** The offset the tally covers: the end of a complete line. */
  readonly end: number;
  readonly tally: LogTally;
  /** The tally as the entry holds it (to save it again unchanged). */
  readonly tallyJson: unknown;
  /** The id tables' files (their newest ULID and UUID count included). */
  readonly segments: readonly Segment[];
  /** The ids of all segments, summed up (see `mayHold`). */
  readonly ids: Pick<IdSetData, "newest" | "uuids">;
  /** The digest of the log's first `end` bytes, as they are now. */
  readonly digest: PrefixDigest;
  /** The log's stamp is not the entry's (it had to be proven by its digest): save it anew. */
  readonly restamp: boolean;
  /**
   * Whether the log's first `end` bytes are the ones the entry was saved from: true at once
   * when its stamp is unchanged, else once its digest is checked (prefix-proof.ts, possibly in
   * another thread: what was appended may be read meanwhile). Until it is true, nothing of the
   * entry may be used or saved; when false, the log is read in full.
   */
  readonly proven: Promise<boolean>;
  /** Reads the id tables; null when one is missing or corrupt. */
  loadLayers(): Promise<IdSet[] | null>;
}

/** The file a cache entry belongs to. */
export interface LogIdentity {
  readonly path: string;
  readonly handle: FileHandle;
  readonly stat: BigIntStats;
  /** `Date.now()` just before `stat` was taken (see `racyStamp`). */
  readonly statAtMs: number;
}

// 7: rows keep the events' origin (`source`). 8: the tally's rows packed (PackedRowsJson).
const VERSION = 8;
const MAX_SEGMENTS = 8;

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Word = Type.Integer({ minimum: 0, maximum: 0xffffffff });
const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$" });

const SegmentSchema = Type.Object({
  file: Type.String({ pattern: "^[0-9a-f]{20}\\.[0-9a-f]{8}\\.ids$" }),
  /** Ids in the sorted run, then slots of the hash table: the file holds both, in that order. */
  run: Count,
  slots: Count,
  size: Count,
  newest: Type.Union([Type.Null(), Type.Array(Word, { minItems: 5, maxItems: 5 })]),
  uuids: Count,
  /** Of the table's bytes and of the fields above. */
  checksum: Sha256,
});
type SegmentJson = Static<typeof SegmentSchema>;
export type Segment = Omit<SegmentJson, "newest"> & { readonly newest: readonly number[] | null };

/** Generated into summary-cache-header.generated.ts (scripts/generate-checks.ts). */
export const HeaderSchema = Type.Object({
  version: Type.Literal(VERSION),
  log: Type.String(),
  stamp: FileStampSchema,
  /** The stamp was taken within a tick of a write: the digest is checked even when it matches. */
  racy: Type.Boolean(),
  /** Of the log's first `digest.end` bytes, the part the tally covers. */
  digest: PrefixDigestSchema,
  tally: Type.Unknown(),
  segments: Type.Array(SegmentSchema, { maxItems: MAX_SEGMENTS + 64 }),
});
type Header = Omit<Static<typeof HeaderSchema>, "segments"> & { segments: readonly Segment[] };

// Compiled ahead of time: a warm report, which validates nothing else, loads no compiler.
const isHeader = (value: unknown): value is Static<typeof HeaderSchema> => checkHeader(value);

function entryKey(logPath: string): string {
  return contentChecksum(resolve(logPath)).slice(0, 20);
}

function readHeader(cacheDir: string, key: string, logPath: string): Header | null {
  const data = readCheckedJson(join(cacheDir, `${key}.json`));
  if (!isHeader(data) || data.log !== resolve(logPath)) return null;
  if (!data.segments.every((s) => s.file.startsWith(`${key}.`))) return null;
  return data;
}

/** The cached state of a log, or null when there is none that can be trusted. */
export async function loadCachedLog(cacheDir: string, log: LogIdentity): Promise<CachedLog | null> {
  const key = entryKey(log.path);
  const header = readHeader(cacheDir, key, log.path);
  if (header === null) return null;
  const end = header.digest.end;
  if (end > Number(log.stat.size)) return null;
  const unchanged = !header.racy && sameStamp(header.stamp, fileStamp(log.stat));
  const tally = tallyFromCache(header.tally);
  if (tally === null) return null;
  const proven = unchanged ? PROVEN : provePrefix(log.handle, header.digest);
  const segments = header.segments;
  let layers: Promise<IdSet[] | null> | null = null;
  const loadLayers = () => {
    layers ??= Promise.all(segments.map((s) => readSegment(cacheDir, s))).then((sets) =>
      sets.every((set) => set !== null) ? sets : null,
    );
    return layers;
  };
  return {
    end,
    tally,
    tallyJson: header.tally,
    segments,
    ids: joinSummaries(segments),
    digest: header.digest,
    restamp: !unchanged,
    proven,
    loadLayers,
  };
}

const PROVEN = Promise.resolve(true);

/** A tally as an entry holds it: LogTally's JSON with its rows packed (`toPacked`). */
export function tallyToCache(tally: LogTally): unknown {
  const { lines, skipped, firstSkipped, duplicates } = tally;
  return { rows: tally.rows.toPacked(), lines, skipped, first_skipped: firstSkipped, duplicates };
}

function tallyFromCache(json: unknown): LogTally | null {
  if (typeof json !== "object" || json === null) return null;
  const tally = LogTally.fromJSON({ ...json, rows: [] });
  return tally?.rows.addPacked((json as { rows?: unknown }).rows) ? tally : null;
}

async function readSegment(cacheDir: string, segment: Segment): Promise<IdSet | null> {
  // One read straight into the arrays; one byte more is asked for, so that a longer file is
  // caught too.
  const runWords = segment.run * SLOT_WORDS;
  const length = (runWords + segment.slots * SLOT_WORDS) * 4;
  const bytes = new Uint8Array(length + 1);
  try {
    const handle = await open(join(cacheDir, segment.file), READ_FLAGS);
    try {
      if ((await readUpTo(handle, bytes)) !== length) return null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  if (segmentChecksum([bytes.subarray(0, length)], segment) !== segment.checksum) return null;
  return IdSet.from({
    size: segment.size,
    run: new Uint32Array(bytes.buffer, 0, runWords),
    slots: new Uint32Array(bytes.buffer, runWords * 4, segment.slots * SLOT_WORDS),
    newest: segment.newest,
    uuids: segment.uuids,
  });
}

/** The checksum of a table and of what the header says of it (so that is checked along). */
function segmentChecksum(
  parts: readonly Uint8Array[],
  about: Omit<Segment, "file" | "checksum">,
): string {
  const fields = JSON.stringify([about.size, about.run, about.slots, about.newest, about.uuids]);
  return contentChecksum(...parts, fields);
}

/** Reads from the start until `into` is full or the file ends; returns the bytes read. */
async function readUpTo(handle: FileHandle, into: Uint8Array): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Saves a log's state: the tally of its first `end` bytes (as `tallyToCache` writes it), the segments of the entry it was
 * loaded from (kept as they are) and the ids read since, in one or more sets (`fresh`).
 * Nothing is saved when the log changed while it was read. Failing to save loses only speed,
 * so errors are swallowed. True when the entry was saved under a stamp that is not racy: the
 * next report then takes it as it is.
 */
export async function saveCachedLog(
  cacheDir: string,
  log: LogIdentity,
  state: {
    end: number;
    tally: unknown;
    loaded: CachedLog | null;
    fresh: readonly IdSet[];
    /** The digest of the very bytes the tally sums, taken as they were read (scanRange's). */
    digest?: PrefixDigest | null;
  },
): Promise<boolean> {
  try {
    const old = state.loaded;
    const scanned = state.digest;
    // The loaded entry's digest is of bytes proven unchanged: only what follows is read. One
    // taken by the scan is used only for the same end (anything else: the log is hashed).
    const digest = old
      ? await extendDigest(log.handle, old.digest, state.end)
      : scanned?.end === state.end
        ? scanned
        : await digestPrefix(log.handle, state.end);
    if (!(await unchangedSinceOpened(log))) return false;
    await mkdir(cacheDir, { recursive: true });
    const key = entryKey(log.path);
    const newSets = state.fresh.filter((set) => set.size > 0);
    let segments: Segment[] = [...(old?.segments ?? [])];
    // Only a merge or a rebuilt entry leaves files behind: adding a segment keeps the others.
    const replaces = old === null || segments.length + newSets.length > MAX_SEGMENTS;
    if (old !== null && replaces) {
      // Too many small tables: merge them all into one (this reads the old ones once).
      const layers = await old.loadLayers();
      if (layers === null) return false;
      const all = [...layers, ...newSets];
      const merged = new IdSet(all.reduce((n, set) => n + set.size, 0));
      for (const set of all) merged.addAll(set);
      segments = [await writeSegment(cacheDir, key, merged)];
    } else {
      for (const set of newSets) segments.push(await writeSegment(cacheDir, key, set));
    }
    const header: Header = {
      version: VERSION,
      log: resolve(log.path),
      stamp: fileStamp(log.stat),
      racy: racyStamp(log.stat, log.statAtMs),
      digest,
      tally: state.tally,
      segments,
    };
    await writeCheckedJson(cacheDir, `${key}.json`, header);
    if (replaces) await removeUnlisted(cacheDir, key, segments);
    return !header.racy;
  } catch {
    // A read-only checkout, a full disk: the next report reads the log in full again.
    return false;
  }
}

/** Whether the open log and its path still have the stamp the report started with. */
async function unchangedSinceOpened(log: LogIdentity): Promise<boolean> {
  const opened = fileStamp(log.stat);
  const [now, named] = await Promise.all([
    log.handle.stat({ bigint: true }),
    stat(log.path, { bigint: true }),
  ]);
  return sameStamp(opened, fileStamp(now)) && sameStamp(opened, fileStamp(named));
}

async function writeSegment(cacheDir: string, key: string, set: IdSet): Promise<Segment> {
  const { size, run, slots, newest, uuids } = set.data();
  const about = {
    size,
    run: run.length / SLOT_WORDS,
    slots: slots.length / SLOT_WORDS,
    newest,
    uuids,
  };
  // Views, no copies: a million ids are ~20 MB.
  const parts = [run, slots].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const file = `${key}.${randomBytes(4).toString("hex")}.ids`;
  const handle = await open(join(cacheDir, file), CREATE_NEW_FLAGS);
  try {
    for (const part of parts) await handle.write(part);
  } finally {
    await handle.close();
  }
  return { file, ...about, checksum: segmentChecksum(parts, about) };
}

async function removeUnlisted(
  cacheDir: string,
  key: string,
  segments: readonly Segment[],
): Promise<void> {
  const listed = new Set(segments.map((s) => s.file));
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(`${key}.`) && name.endsWith(".ids") && !listed.has(name)) {
      await rm(join(cacheDir, name), { force: true });
    }
  }
}
