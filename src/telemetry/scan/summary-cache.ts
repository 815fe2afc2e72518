import { createHash, randomBytes } from "node:crypto";
import type { BigIntStats } from "node:fs";
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { CREATE_NEW_FLAGS, READ_FLAGS } from "../project-paths.js";
import { IdSet, type IdSetData, joinSummaries, SLOT_WORDS } from "./id-set.js";
import { LogTally } from "./log-tally.js";

/**
 * The report's incremental cache: for each log, the tally of its first `end` bytes and the ids
 * seen there, so that a later report reads only what was appended. It lives in
 * `.kittify/cache/` and may be deleted at any time.
 *
 * An entry is used only for the same file (device and inode) that still holds the same bytes
 * up to `end`, as far as a sample tells (a hash of its first and last 4 KiB and of 6 blocks
 * between, or of the whole log when it is small). A truncated, rewritten or replaced log, or an
 * entry that does not read back whole (checksums), is ignored and rebuilt. Prices are not
 * cached (the rows hold tokens), so a changed pricing file needs nothing here.
 *
 * Files: `<key>.json` (the tally and the list of id segments) and `<key>.<random>.ids` (a
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
  /** The id tables' files (their newest ULID and UUID count included). */
  readonly segments: readonly Segment[];
  /** The ids of all segments, summed up (see `mayHold`). */
  readonly ids: Pick<IdSetData, "newest" | "uuids">;
  /** Reads the id tables; null when one is missing or corrupt. */
  loadLayers(): Promise<IdSet[] | null>;
}

/** The file a cache entry belongs to. */
export interface LogIdentity {
  readonly path: string;
  readonly handle: FileHandle;
  readonly stat: BigIntStats;
}

const VERSION = 6;
const MAX_SEGMENTS = 8;

export interface Segment {
  readonly file: string;
  /** Ids in the sorted run, then slots of the hash table: the file holds both, in that order. */
  readonly run: number;
  readonly slots: number;
  readonly size: number;
  readonly crc: number;
  readonly newest: readonly number[] | null;
  readonly uuids: number;
}

interface Header {
  readonly version: number;
  readonly log: string;
  readonly dev: string;
  readonly ino: string;
  readonly end: number;
  readonly sample: string;
  readonly tally: unknown;
  readonly segments: readonly Segment[];
}

function entryKey(logPath: string): string {
  return createHash("sha256").update(resolve(logPath)).digest("hex").slice(0, 20);
}

/** The cached state of a log, or null when there is none that can be trusted. */
export async function loadCachedLog(cacheDir: string, log: LogIdentity): Promise<CachedLog | null> {
  const key = entryKey(log.path);
  let header: Header;
  try {
    header = JSON.parse(
      await readFile(join(cacheDir, `${key}.json`), { encoding: "utf8", flag: READ_FLAGS }),
    ) as Header;
  } catch {
    return null;
  }
  if (
    typeof header !== "object" ||
    header === null ||
    header.version !== VERSION ||
    header.dev !== String(log.stat.dev) ||
    header.ino !== String(log.stat.ino) ||
    !Number.isSafeInteger(header.end) ||
    header.end > Number(log.stat.size) ||
    !Array.isArray(header.segments)
  ) {
    return null;
  }
  if (header.sample !== (await contentSample(log.handle, header.end))) return null;
  const tally = LogTally.fromJSON(header.tally);
  if (tally === null) return null;
  const segments = header.segments;
  if (!segments.every((s) => isSegment(s, key))) return null;
  let layers: Promise<IdSet[] | null> | null = null;
  const loadLayers = () => {
    layers ??= Promise.all(segments.map((s) => readSegment(cacheDir, s))).then((sets) =>
      sets.every((set) => set !== null) ? sets : null,
    );
    return layers;
  };
  return { end: header.end, tally, segments, ids: joinSummaries(segments), loadLayers };
}

function isSegment(segment: Segment, key: string): boolean {
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const { newest } = segment ?? {};
  return (
    typeof segment?.file === "string" &&
    segment.file.startsWith(`${key}.`) &&
    count(segment.run) &&
    count(segment.slots) &&
    count(segment.size) &&
    count(segment.uuids) &&
    (newest === null || (Array.isArray(newest) && newest.length === 5 && newest.every(count)))
  );
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
  if (segmentChecksum([bytes.subarray(0, length)], segment) !== segment.crc) return null;
  return IdSet.from({
    size: segment.size,
    run: new Uint32Array(bytes.buffer, 0, runWords),
    slots: new Uint32Array(bytes.buffer, runWords * 4, segment.slots * SLOT_WORDS),
    newest: segment.newest,
    uuids: segment.uuids,
  });
}

const SAMPLE_BLOCK = 4096;
const SAMPLE_BLOCKS = 8;

/** A hash of blocks spread over the log's first `end` bytes (the first and the last included). */
async function contentSample(handle: FileHandle, end: number): Promise<string> {
  const hash = createHash("sha256").update(String(end));
  // A small log is hashed whole, in one read.
  const whole = end <= SAMPLE_BLOCK * SAMPLE_BLOCKS;
  const block = Buffer.alloc(whole ? end : SAMPLE_BLOCK);
  const last = Math.max(0, end - SAMPLE_BLOCK);
  for (let i = 0; i < (whole ? 1 : SAMPLE_BLOCKS); i++) {
    const position = whole ? 0 : Math.floor((last * i) / (SAMPLE_BLOCKS - 1));
    const { bytesRead } = await handle.read(block, 0, block.length, position);
    hash.update(block.subarray(0, bytesRead));
  }
  return hash.digest("hex");
}

/** The checksum of a table and of what the header says of it (so that is checked along). */
function segmentChecksum(
  parts: readonly Uint8Array[],
  about: Omit<Segment, "file" | "crc">,
): number {
  const crc = parts.reduce((sum, part) => crc32(part, sum), 0);
  return crc32(
    JSON.stringify([about.size, about.run, about.slots, about.newest, about.uuids]),
    crc,
  );
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
 * Saves a log's state: the tally of its first `end` bytes, the segments of the entry it was
 * loaded from (kept as they are) and the ids read since, in one or more sets (`fresh`).
 * Failing to save loses only speed, so errors are swallowed.
 */
export async function saveCachedLog(
  cacheDir: string,
  log: LogIdentity,
  state: { end: number; tally: LogTally; loaded: CachedLog | null; fresh: readonly IdSet[] },
): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    const key = entryKey(log.path);
    const newSets = state.fresh.filter((set) => set.size > 0);
    let segments: Segment[] = [...(state.loaded?.segments ?? [])];
    const old = state.loaded;
    // Only a merge or a rebuilt entry leaves files behind: adding a segment keeps the others.
    const replaces = old === null || segments.length + newSets.length > MAX_SEGMENTS;
    if (old !== null && replaces) {
      // Too many small tables: merge them all into one (this reads the old ones once).
      const layers = await old.loadLayers();
      if (layers === null) return;
      const all = [...layers, ...newSets];
      const merged = new IdSet(all.reduce((n, set) => n + set.size, 0));
      for (const set of all) merged.addAll(set);
      segments = [await writeSegment(cacheDir, key, merged)];
    } else {
      for (const set of newSets) segments.push(await writeSegment(cacheDir, key, set));
    }
    const sample = await contentSample(log.handle, state.end);
    const header: Header = {
      version: VERSION,
      log: resolve(log.path),
      dev: String(log.stat.dev),
      ino: String(log.stat.ino),
      end: state.end,
      sample,
      tally: state.tally.toJSON(),
      segments,
    };
    const temp = join(cacheDir, `${key}.json.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(temp, JSON.stringify(header), { flag: CREATE_NEW_FLAGS });
    await rename(temp, join(cacheDir, `${key}.json`));
    if (replaces) await removeUnlisted(cacheDir, key, segments);
  } catch {
    // A read-only checkout, a full disk: the next report reads the log in full again.
  }
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
  return { file, ...about, crc: segmentChecksum(parts, about) };
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
