import type { BigIntStats } from "node:fs";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { createHash } from "./node-crypto.js";

// What tells, with no read of a log, that it is the one a cache describes (its stamp; see
// log-fingerprint.ts for the digest that proves it when the stamp changed), and the checksum
// of a cache file's own content. Apart from the digests, so that a warm report loads no hash.

const Decimal = Type.String({ pattern: "^[0-9]{1,30}$" });

export const FileStampSchema = Type.Object({
  dev: Decimal,
  ino: Decimal,
  size: Decimal,
  mtime_ns: Decimal,
  ctime_ns: Decimal,
});
export type FileStamp = Static<typeof FileStampSchema>;

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

/** A checksum of a cache file's own content, so that a hand edit or a torn write is seen. */
export function contentChecksum(...parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}
