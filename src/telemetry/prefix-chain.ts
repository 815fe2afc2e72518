import { readSync } from "node:fs";
import type { XXHashAPI } from "xxhash-wasm";

/**
 * The prefix digest's chain (see log-fingerprint.ts), read and hashed in one go. On its own
 * (no schema, no typebox), so that the thread that proves prefixes (scan/digest-worker.ts)
 * loads nothing else.
 */

export const BLOCK = 64 << 10;
export const START = 0x5350454b4b495459n; // any fixed seed
// Read and hashed while still in the CPU's cache (256 KiB beat 64 KiB, 1 and 4 MiB).
const READ = 4 * BLOCK;

/** What a digest is: the prefix's length, the chain of its whole blocks, the hash of the rest. */
export interface ChainDigest {
  readonly end: number;
  readonly chain: string;
  readonly tail: string;
}

// The one read buffer of every digest of a thread: digestRange runs to its end without yielding.
let readBuffer: Buffer | null = null;

/**
 * The digest's chain from `start` (a block boundary, `seed` the chain up to it) to `end`. The
 * reads are synchronous: a proof is hundreds of MB read from the page cache, and promised
 * reads (a thread-pool round trip per read) cost a third more CPU for no less wall time.
 */
export function digestRange(
  fd: number,
  start: number,
  seed: bigint,
  end: number,
  h64Raw: XXHashAPI["h64Raw"],
): ChainDigest {
  // Whole blocks extend the chain; the bytes after the last one (all of them when the prefix
  // ends within `start`'s block) are the tail.
  const from = Math.max(start, end - (end % BLOCK));
  const chain = chainBlocks(fd, start, seed, from, h64Raw);
  // The file is shorter than it was said to be: no digest can match a stored one.
  if (chain === null) return spoiled(end, seed);
  let tail = h64Raw(EMPTY, chain);
  if (end > from) {
    readBuffer ??= Buffer.allocUnsafe(READ);
    const last = readBuffer.subarray(0, end - from);
    if (readFully(fd, last, last.length, from) < last.length) return spoiled(end, chain);
    tail = h64Raw(last, chain);
  }
  return { end, chain: hex(chain), tail: hex(tail) };
}

/**
 * `seed` extended by the whole blocks from `start` to `end` (both block boundaries); null when
 * the file ends first.
 */
export function chainBlocks(
  fd: number,
  start: number,
  seed: bigint,
  end: number,
  h64Raw: XXHashAPI["h64Raw"],
): bigint | null {
  let chain = seed;
  readBuffer ??= Buffer.allocUnsafe(READ);
  const buffer = readBuffer;
  for (let position = start; position < end; position += READ) {
    const want = Math.min(READ, end - position);
    if (readFully(fd, buffer, want, position) < want) return null;
    for (let at = 0; at < want; at += BLOCK) chain = h64Raw(buffer.subarray(at, at + BLOCK), chain);
  }
  return chain;
}

/** A digest of a file that ended before `end`: it matches no digest of real bytes. */
export function spoiled(end: number, chain: bigint): ChainDigest {
  return { end, chain: hex(chain ^ 1n), tail: hex(chain ^ 2n) };
}

/** Reads `length` bytes at `position` unless the file ends first; returns the bytes read. */
function readFully(fd: number, into: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, into, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

const EMPTY = new Uint8Array(0);

export function hex(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}
