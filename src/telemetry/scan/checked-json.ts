import { closeSync, openSync, readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentChecksum } from "../file-stamp.js";
import { randomBytes } from "../node-crypto.js";
import { CREATE_NEW_FLAGS, READ_FLAGS } from "../project-paths.js";

/**
 * The cache's files that hold JSON: the JSON on one line, then a line with the sha256 of its
 * bytes, so that a torn write or a hand edit reads back as no file at all.
 */
const CHECKSUM_LINE = 1 + 64 + 1;

/**
 * The value `writeCheckedJson` wrote, or undefined when the file is missing or unreadable, its
 * checksum line does not match its JSON, or that is not JSON. Read at once, not through the
 * thread pool: a warm report reads a few small files, and each asynchronous read is four round
 * trips (open, stat, read, close) through it.
 */
export function readCheckedJson(path: string): unknown {
  try {
    const fd = openSync(path, READ_FLAGS);
    let bytes: Buffer;
    try {
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    // The checksum is of the JSON's bytes as written: checked before they are decoded.
    const end = bytes.length - CHECKSUM_LINE;
    if (end < 0) return undefined;
    const json = bytes.subarray(0, end);
    if (`\n${contentChecksum(json)}\n` !== bytes.toString("latin1", end)) return undefined;
    return JSON.parse(json.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Writes `value` as `readCheckedJson` reads it: to a new temporary file, renamed over `name`. */
export async function writeCheckedJson(dir: string, name: string, value: unknown): Promise<void> {
  const temp = join(dir, `${name}.${randomBytes(4).toString("hex")}.tmp`);
  const json = JSON.stringify(value);
  await writeFile(temp, `${json}\n${contentChecksum(json)}\n`, { flag: CREATE_NEW_FLAGS });
  await rename(temp, join(dir, name));
}
