import { writeFileSync } from "node:fs";
import { open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestPrefix } from "../../../src/telemetry/log-fingerprint.js";
import { IdSet } from "../../../src/telemetry/scan/id-set.js";
import { tallyLogs } from "../../../src/telemetry/scan/log-tallies.js";
import type { LogTally } from "../../../src/telemetry/scan/log-tally.js";
import { scanRange } from "../../../src/telemetry/scan/scan-range.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, variedLog, writeVariedLog } from "../../support/varied-log.js";

const BLOCK = 64 << 10;
const FEATURE = "045-digest";

/** `variedLog` lines padded with a blank line so that the file is exactly `size` bytes. */
function logOfSize(size: number): Buffer {
  let count = Math.ceil(size / 700);
  let lines = variedLog(count, FEATURE);
  while (lines.length >= size) lines = variedLog(--count, FEATURE);
  const pad = size - lines.length - 1;
  return Buffer.concat([lines, Buffer.from(`${" ".repeat(pad)}\n`)]);
}

async function written(bytes: Buffer): Promise<string> {
  const path = join(await tempDir(), "execution.events.jsonl");
  await writeFile(path, bytes);
  return path;
}

async function identity(path: string) {
  const { dev, ino } = await stat(path, { bigint: true });
  return { dev: String(dev), ino: String(ino) };
}

async function scanWhole(path: string, unterminated: "read" | "leave" = "leave") {
  const { size } = await stat(path);
  const digestOf = await identity(path);
  return scanRange(path, { start: 0, end: size, ids: new IdSet(), unterminated, digestOf });
}

async function digestOfFile(path: string, end: number) {
  const handle = await open(path, "r");
  try {
    return await digestPrefix(handle, end);
  } finally {
    await handle.close();
  }
}

describe("the prefix digest a scan takes of the bytes it reads", () => {
  it.each([
    ["a few lines", 2000],
    ["a block's worth exactly", BLOCK],
    ["several 1 MiB chunks and a partial block", 3 * (1 << 20) + 4321],
    ["whole blocks across chunks", 40 * BLOCK],
  ])("equals the digest of a second read of the log (%s)", async (_, size) => {
    const path = await written(logOfSize(size));
    const scan = await scanWhole(path);
    expect(scan.end).toBe(size);
    expect(scan.digest).toEqual(await digestOfFile(path, size));
  });

  it("is the digest of the lines summed, up to an unterminated last line read along", async () => {
    const bytes = Buffer.concat([logOfSize(BLOCK + 99), Buffer.from(eventLine(9999, FEATURE))]);
    const path = await written(bytes);
    // Left for later, the last line is not summed: no digest of bytes the tally does not cover.
    const left = await scanWhole(path, "leave");
    expect([left.end, left.digest]).toEqual([BLOCK + 99, null]);
    const read = await scanWhole(path, "read");
    expect(read.digest).toEqual(await digestOfFile(path, bytes.length));
  });

  it("is not taken of another file than the one named, nor of a range after the start", async () => {
    const path = await written(logOfSize(5000));
    const other = await written(logOfSize(5000));
    const { size } = await stat(path);
    const base = { end: size, ids: new IdSet(), unterminated: "read" } as const;
    const wrongFile = await scanRange(path, { ...base, start: 0, digestOf: await identity(other) });
    const firstLine = (await readFile(path)).indexOf(0x0a) + 1;
    const later = await scanRange(path, {
      ...base,
      start: firstLine,
      digestOf: await identity(path),
    });
    expect([wrongFile.digest, later.digest]).toEqual([null, null]);
  });
});

/** The cache entry's header of the only log cached in `cacheDir`. */
async function savedDigest(cacheDir: string): Promise<unknown> {
  const headers = (await readdir(cacheDir)).filter((name) => name.endsWith(".json"));
  expect(headers).toHaveLength(1);
  const [json = ""] = (await readFile(join(cacheDir, headers[0] as string), "utf8")).split("\n");
  return (JSON.parse(json) as { digest: unknown }).digest;
}

function sums(tallies: readonly LogTally[]) {
  return tallies.map((t) => ({ rows: t.rows.toJSON(), lines: t.lines, skipped: t.skipped }));
}

describe("the cache saved after a cold scan", () => {
  it.each([
    ["read whole in this thread", { threads: 1 }],
    ["read whole by a worker thread", { threads: 2, minRangeBytes: 1 << 10 }],
    ["split in ranges (hashed by a read of its own)", { threads: 2, minRangeBytes: 16 << 10 }],
  ])("holds the digest of the log's bytes (%s)", async (_, options) => {
    const root = await tempDir();
    const log = await writeVariedLog(root, FEATURE, 1500);
    const cacheDir = await tempDir();
    await tallyLogs([log], { warn: () => undefined, cacheDir, ...options });
    const { size } = await stat(log);
    expect(await savedDigest(cacheDir)).toEqual(await digestOfFile(log, size));
  });

  it("is not saved when the log changes while it is read, and never lies afterwards", async () => {
    const root = await tempDir();
    const log = await writeVariedLog(root, FEATURE, 1500);
    const original = await readFile(log);
    // The same size, other bytes: an event's role changed in place.
    const edited = Buffer.from(
      original.toString("latin1").replace('"role": "implementer"', '"role": "implementex"'),
      "latin1",
    );
    expect(edited.length).toBe(original.length);
    expect(edited.equals(original)).toBe(false);
    const cacheDir = await tempDir();
    let changed = false;
    const options = { warn: () => undefined, cacheDir, threads: 1 };
    const during = await tallyLogs([log], {
      ...options,
      onProgress: (done, total) => {
        // Every byte has been read (and hashed): the log is edited before the entry is saved.
        if (done === total && !changed) {
          changed = true;
          writeFileSync(log, edited);
        }
      },
    });
    expect(changed).toBe(true);
    const entries = (await readdir(cacheDir)).filter((name) => name.endsWith(".json"));
    expect(entries).toEqual([]);
    const after = await tallyLogs([log], options);
    const fresh = await tallyLogs([log], { ...options, cacheDir: null });
    expect(sums(after)).toEqual(sums(fresh));
    expect(sums(after)).not.toEqual(sums(during));
  });
});
