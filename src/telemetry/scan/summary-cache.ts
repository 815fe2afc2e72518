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
import { IdSet, SLOT_WORDS } from "./id-set.js";
import { LogTally } from "./log-tally.js";

/**
 * The report's incremental cache: for each log, the tally of its first `end` bytes and the ids
 * seen there, so that a later report reads only what was appended. It lives in
 * `.kittify/cache/` and may be deleted at any time.
 *
 * A cache entry is used only for the same file (device and inode) that still holds the same
 * bytes up to `end`, as far as a sample tells (a hash of its first and last 4 KiB and of 6
 * blocks between, or the whole log when it is small); a truncated, rewritten or replaced log, or an entry that does not read back
 * whole (checksums), is ignored and rebuilt.
 * Prices are not cached (the rows hold tokens), so a changed pricing file needs nothing here.
 *
 * Files: `<key>.json` (the tally and the list of id segments) and `<key>.<n>.ids` (id tables).
 * Each run adds one segment with the ids it read, so a run after a small append writes a small
 * file; past MAX_SEGMENTS they are merged into one.
 */
export interface CachedLog {
  /** The offset the tally covers: the end of a complete line. */
  readonly end: number;
  readonly tally: LogTally;
  readonly layers: readonly IdSet[];
  /** The files the layers were read from, in the same order. */
  readonly segments: readonly Segment[];
}

/** The file a cache entry belongs to. */
export interface LogIdentity {
  readonly path: string;
  readonly handle: FileHandle;
  readonly stat: BigIntStats;
}

const VERSION = 3;
const MAX_SEGMENTS = 8;

export interface Segment {
  readonly file: string;
  readonly slots: number;
  readonly size: number;
  readonly crc: number;
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
    header = JSON.parse(await readFile(join(cacheDir, `${key}.json`), "utf8")) as Header;
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
  const layers: IdSet[] = [];
  for (const segment of header.segments) {
    const set = await readSegment(cacheDir, key, segment);
    if (set === null) return null;
    layers.push(set);
  }
  return { end: header.end, tally, layers, segments: header.segments };
}

async function readSegment(cacheDir: string, key: string, segment: Segment): Promise<IdSet | null> {
  if (typeof segment?.file !== "string" || !segment.file.startsWith(`${key}.`)) return null;
  if (!Number.isSafeInteger(segment.slots) || segment.slots <= 0) return null;
  // One read straight into the table; one byte more is asked for, so that a longer file is
  // caught too.
  const length = segment.slots * SLOT_WORDS * 4;
  const bytes = new Uint8Array(length + 1);
  try {
    const handle = await open(join(cacheDir, segment.file), "r");
    try {
      if ((await readUpTo(handle, bytes)) !== length) return null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  if (segmentChecksum(bytes.subarray(0, length), segment.size) !== segment.crc) return null;
  const slots = new Uint32Array(bytes.buffer, 0, segment.slots * SLOT_WORDS);
  const set = IdSet.from({ size: segment.size, slots });
  return set;
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

/** The checksum of a table and of its id count (kept in the header, so checked along). */
function segmentChecksum(bytes: Uint8Array, size: number): number {
  return crc32(String(size), crc32(bytes));
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
 * Saves a log's state: the tally of its first `end` bytes, the id layers it was `loaded` with
 * and the ids read since. Failing to save loses only speed, so errors are swallowed.
 */
export async function saveCachedLog(
  cacheDir: string,
  log: LogIdentity,
  state: {
    end: number;
    tally: LogTally;
    layers: readonly IdSet[];
    loaded: CachedLog | null;
    fresh: IdSet;
  },
): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    const key = entryKey(log.path);
    const { loaded } = state;
    // Layers loaded from this entry keep their files; the others are written as they are.
    let layers: { set: IdSet; segment: Segment | null }[] = state.layers.map((set) => {
      const i = loaded?.layers.indexOf(set) ?? -1;
      return { set, segment: i >= 0 ? (loaded?.segments[i] ?? null) : null };
    });
    if (layers.length + 1 > MAX_SEGMENTS) {
      const merged = new IdSet(state.fresh.size + layers.reduce((n, l) => n + l.set.size, 0));
      for (const l of layers) merged.addAll(l.set.data());
      merged.addAll(state.fresh.data());
      layers = [{ set: merged, segment: null }];
    } else if (state.fresh.size > 0) {
      layers.push({ set: state.fresh, segment: null });
    }
    const segments: Segment[] = [];
    for (const layer of layers)
      segments.push(layer.segment ?? (await writeSegment(cacheDir, key, layer.set)));
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
    await writeFile(temp, JSON.stringify(header));
    await rename(temp, join(cacheDir, `${key}.json`));
    await removeUnlisted(cacheDir, key, segments);
  } catch {
    // A read-only checkout, a full disk: the next report reads the log in full again.
  }
}

async function writeSegment(cacheDir: string, key: string, set: IdSet): Promise<Segment> {
  const { size, slots } = set.data();
  const bytes = Buffer.from(slots.buffer, slots.byteOffset, slots.byteLength); // a view, no copy
  const file = `${key}.${randomBytes(4).toString("hex")}.ids`;
  await writeFile(join(cacheDir, file), bytes);
  return { file, slots: slots.length / SLOT_WORDS, size, crc: segmentChecksum(bytes, size) };
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
