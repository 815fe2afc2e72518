import { open, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  digestPrefix,
  extendDigest,
  PrefixDigester,
  racyStamp,
} from "../../src/telemetry/log-fingerprint.js";
import { tempDir } from "../support/temp-project.js";

const BLOCK = 64 << 10;

async function fileOf(bytes: Buffer) {
  const path = join(await tempDir(), "log");
  await writeFile(path, bytes);
  return open(path, "r");
}

function pseudoRandom(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 2654435761) >>> 24;
  return bytes;
}

describe("the prefix digest", () => {
  const size = 17 * BLOCK + 123; // more than one 1 MiB read
  it.each([
    [0, 0],
    [0, size],
    [1, BLOCK - 1],
    [BLOCK - 1, BLOCK],
    [BLOCK, BLOCK + 1],
    [BLOCK + 5, 3 * BLOCK],
    [3 * BLOCK, size],
    [size, size],
  ])("extended from %i bytes to %i equals the digest computed from the start", async (from, to) => {
    const handle = await fileOf(pseudoRandom(size));
    const extended = await extendDigest(handle, await digestPrefix(handle, from), to);
    expect(extended).toEqual(await digestPrefix(handle, to));
    await handle.close();
  });

  it.each([0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 7, 16 * BLOCK, 17 * BLOCK + 122])(
    "changes when byte %i changes",
    async (at) => {
      const bytes = pseudoRandom(size);
      const original = await fileOf(bytes);
      bytes[at] = (bytes[at] as number) ^ 0x20;
      const edited = await fileOf(bytes);
      expect(await digestPrefix(edited, size)).not.toEqual(await digestPrefix(original, size));
      await Promise.all([original.close(), edited.close()]);
    },
  );

  it("of a file shorter than asked matches no digest of the real bytes", async () => {
    const handle = await fileOf(pseudoRandom(BLOCK + 10));
    const short = await digestPrefix(handle, BLOCK + 20);
    expect(short.end).toBe(BLOCK + 20);
    expect([short.chain, short.tail]).not.toEqual(
      Object.values(await digestPrefix(handle, BLOCK + 10)).slice(1),
    );
    await handle.close();
  });
});

describe("the prefix digest taken from bytes read for another purpose", () => {
  const bytes = pseudoRandom(5 * BLOCK + 77);
  it.each([
    ["one chunk", [bytes.length]],
    ["block-sized chunks", [BLOCK, BLOCK, BLOCK, BLOCK, BLOCK, 77]],
    ["odd chunks across block ends", [1, BLOCK - 2, 3, 2 * BLOCK + 5, 0, BLOCK, 4000]],
    ["nothing", [0]],
  ])("equals the digest of a read of the file (%s)", async (_, sizes) => {
    const file = await fileOf(bytes);
    try {
      const digester = await PrefixDigester.create();
      let at = 0;
      for (const size of sizes) {
        digester.update(bytes.subarray(at, at + size), at);
        at += size;
      }
      expect(digester.digest(at)).toEqual(await digestPrefix(file, at));
    } finally {
      await file.close();
    }
  });

  it.each([
    ["a gap between chunks", [0, 100], [150, 300]],
    ["a chunk read twice", [0, 100], [50, 200]],
  ])("gives none after %s, or for another end", async (_, [a0, a1], [b0, b1]) => {
    const digester = await PrefixDigester.create();
    digester.update(bytes.subarray(a0, a1), a0 as number);
    digester.update(bytes.subarray(b0, b1), b0 as number);
    const whole = await PrefixDigester.create();
    whole.update(bytes.subarray(0, 300), 0);
    expect([digester.digest(300), whole.digest(299)]).toEqual([null, null]);
  });
});

describe("a racy stamp (taken within a timestamp tick of a write)", () => {
  it.each([
    ["right after the write", 0, true],
    ["5 s after it", 5000, false],
  ])("is %s: %s", async (_, laterMs, racy) => {
    const path = join(await tempDir(), "log");
    await writeFile(path, "x\n");
    const written = await stat(path, { bigint: true });
    const writtenAtMs = Number(written.ctimeNs / 1_000_000n);
    expect(racyStamp(written, writtenAtMs + laterMs)).toBe(racy);
  });
});
