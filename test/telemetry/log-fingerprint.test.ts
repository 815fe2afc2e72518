import { open, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestPrefix, extendDigest, racyStamp } from "../../src/telemetry/log-fingerprint.js";
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
