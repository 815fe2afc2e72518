import type { FileHandle } from "node:fs/promises";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { BLOCK, chainBlocks, digestRange, hex, START, spoiled } from "./prefix-chain.js";

export {
  contentChecksum,
  type FileStamp,
  FileStampSchema,
  fileStamp,
  racyStamp,
  sameStamp,
} from "./file-stamp.js";

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

const Hex64 = Type.String({ pattern: "^[0-9a-f]{16}$" });

export const PrefixDigestSchema = Type.Object({
  end: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  chain: Hex64,
  tail: Hex64,
});
export type PrefixDigest = Static<typeof PrefixDigestSchema>;

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
