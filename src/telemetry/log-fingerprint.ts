import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { BLOCK, chainBlocks, digestRange, hex, START, spoiled } from "./prefix-chain.js";

/**
 * What proves that a log is still the one a cache (the report's, the emit index) describes.
 *
 * - The stamp: device, inode, size, mtime and ctime in nanoseconds. Any write, truncation,
 *   replacement or `touch` changes it (ctime cannot be set back by a user), so an unchanged
 *   stamp needs no read at all.
 * - The prefix digest: a hash of every byte the cache covers, for when the stamp changed. It
 *   tells a pure append (prefix unchanged: only the new bytes need reading) from anything else
 *   (a rewrite, however small and wherever it is: the log is read again). It is a chain of
 *   64 KiB blocks, each block's xxh64 seeded with the chain so far, so that extending it after
 *   an append re-reads only the last partial block and the new bytes.
 *
 * The hashes detect accidents and hand edits (a `git checkout`, `cp`, an editor), not an
 * attacker who can write the log and the cache alike.
 */

const Decimal = Type.String({ pattern: "^[0-9]{1,30}$" });
const Hex64 = Type.String({ pattern: "^[0-9a-f]{16}$" });

export const FileStampSchema = Type.Object({
  dev: Decimal,
  ino: Decimal,
  size: Decimal,
  mtime_ns: Decimal,
  ctime_ns: Decimal,
});
export type FileStamp = Static<typeof FileStampSchema>;

export const PrefixDigestSchema = Type.Object({
  end: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  chain: Hex64,
  tail: Hex64,
});
export type PrefixDigest = Static<typeof PrefixDigestSchema>;

/** A file's stamp, from a `stat({ bigint: true })`. */
export function fileStamp(stat: BigIntStats): FileStamp {
  return {
    dev: String(stat.dev),
    ino: String(stat.ino),
    size: String(stat.size),
    mtime_ns: String(stat.mtimeNs),
    ctime_ns: String(stat.ctimeNs),
  };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtime_ns === b.mtime_ns &&
    a.ctime_ns === b.ctime_ns
  );
}

/**
 * Whether a stamp read at `readAtMs` could stay unchanged through a later write: file systems
 * stamp times at a coarse tick (a jiffy, or 1-2 s on some), so a write within the tick of the
 * last one may leave mtime and ctime as they were. Such a stamp is trusted only with a digest.
 * A ctime with a fraction of a second comes from a file system with fine timestamps (a tick of
 * 10 ms at most); one without may come from a 1-2 s one.
 */
export function racyStamp(stat: BigIntStats, readAtMs: number): boolean {
  const fine = stat.ctimeNs % 1_000_000_000n !== 0n;
  const window = fine ? 100_000_000n : 3_000_000_000n;
  return stat.ctimeNs + window > BigInt(Math.floor(readAtMs)) * 1_000_000n;
}

export function sameDigest(a: PrefixDigest, b: PrefixDigest): boolean {
  return a.end === b.end && a.chain === b.chain && a.tail === b.tail;
}

let api: Promise<XXHashAPI> | null = null;

/** The digest of `handle`'s first `end` bytes (reads them all). */
export function digestPrefix(handle: FileHandle, end: number): Promise<PrefixDigest> {
  return digestFrom(handle, 0, START, end);
}

/**
 * The digest of the first `end` bytes, given the digest of a shorter prefix of the same file
 * (which the caller has proven): reads only from its last whole block on.
 */
export function extendDigest(
  handle: FileHandle,
  from: PrefixDigest,
  end: number,
): Promise<PrefixDigest> {
  if (end < from.end) throw new RangeError("a digest cannot be extended backwards");
  const whole = Math.floor(from.end / BLOCK) * BLOCK;
  return digestFrom(handle, whole, BigInt(`0x${from.chain}`), end);
}

async function digestFrom(
  handle: FileHandle,
  start: number,
  seed: bigint,
  end: number,
): Promise<PrefixDigest> {
  api ??= xxhash();
  const { h64Raw } = await api;
  // In slices, the event loop let run between them: a proof of a big log takes tens of ms, and
  // meanwhile a worker thread may be waiting to be handed its next range.
  let chain: bigint | null = seed;
  let position = start;
  for (; end - position > SLICE; position += SLICE) {
    chain = chainBlocks(handle.fd, position, chain, position + SLICE, h64Raw);
    if (chain === null) return spoiled(end, seed);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return digestRange(handle.fd, position, chain, end, h64Raw);
}

const SLICE = 128 * BLOCK;

/**
 * The digest of a file's prefix taken from bytes read for another purpose (an index rebuild's
 * walk), so that the file is not read a second time: chunks must be handed over in file order
 * from offset 0; a chunk out of place (a gap) spoils it, and `digest` then gives null.
 */
export class PrefixDigester {
  readonly #h64Raw: XXHashAPI["h64Raw"];
  #chain = START;
  #fed = 0;
  #spoiled = false;
  readonly #pending = Buffer.allocUnsafe(BLOCK);
  #pendingLength = 0;

  private constructor(h64Raw: XXHashAPI["h64Raw"]) {
    this.#h64Raw = h64Raw;
  }

  static async create(): Promise<PrefixDigester> {
    api ??= xxhash();
    return new PrefixDigester((await api).h64Raw);
  }

  /** Takes the file's bytes at `position`. */
  update(bytes: Uint8Array, position: number): void {
    if (position !== this.#fed) this.#spoiled = true;
    if (this.#spoiled) return;
    this.#fed += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      if (this.#pendingLength === 0 && bytes.length - at >= BLOCK) {
        this.#chain = this.#h64Raw(bytes.subarray(at, at + BLOCK), this.#chain);
        at += BLOCK;
        continue;
      }
      const take = Math.min(BLOCK - this.#pendingLength, bytes.length - at);
      this.#pending.set(bytes.subarray(at, at + take), this.#pendingLength);
      this.#pendingLength += take;
      at += take;
      if (this.#pendingLength === BLOCK) {
        this.#chain = this.#h64Raw(this.#pending, this.#chain);
        this.#pendingLength = 0;
      }
    }
  }

  /** The digest of the first `end` bytes, when exactly those were handed over; else null. */
  digest(end: number): PrefixDigest | null {
    if (this.#spoiled || end !== this.#fed) return null;
    const last = this.#pending.subarray(0, this.#pendingLength);
    return { end, chain: hex(this.#chain), tail: hex(this.#h64Raw(last, this.#chain)) };
  }
}

/** A checksum of a cache file's own content, so that a hand edit or a torn write is seen. */
export function contentChecksum(...parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}
