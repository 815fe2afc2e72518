import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { digestPrefix } from "../../../src/telemetry/log-fingerprint.js";
import { provePrefix, proveQueued } from "../../../src/telemetry/scan/prefix-proof.js";
import { tempDir } from "../../support/temp-project.js";

const BLOCK = 64 << 10;

function pseudoRandom(length: number, salt = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = ((i + salt) * 2654435761) >>> 24;
  return bytes;
}

// A cached prefix is proven by its digest, in a thread of its own, here, or shared between
// them (the thread takes the biggest, this thread the smallest): the same bytes prove it, any
// change anywhere (or a shorter file) does not.
describe("the proof of a cached prefix", () => {
  const handles: Awaited<ReturnType<typeof open>>[] = [];
  const fileOf = async (bytes: Buffer) => {
    const path = join(await tempDir(), "log");
    await writeFile(path, bytes);
    const handle = await open(path, "r");
    handles.push(handle);
    return handle;
  };
  afterAll(() => Promise.all(handles.map((h) => h.close())));

  const size = 9 * BLOCK + 77;
  it.each<[string, boolean, boolean]>([
    ["in the proving thread", true, false],
    ["here", false, false],
    ["queued for the thread, this thread helping", true, true],
  ])("%s: holds for the same bytes and fails for a change anywhere", async (_, inThread, help) => {
    const bytes = pseudoRandom(size);
    const digest = await digestPrefix(await fileOf(bytes), size - 10);
    const changed = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 1;
      return copy;
    };
    const cases: [Buffer, boolean][] = [
      [bytes, true],
      [Buffer.concat([bytes, Buffer.from("appended\n")]), true],
      [changed(0), false],
      [changed(4 * BLOCK + 3), false],
      [changed(size - 11), false],
      [changed(size - 10), true], // past the prefix: an append's bytes are not its business
      [bytes.subarray(0, size - 11), false],
    ];
    // All at once, as a report proves its logs.
    const files = await Promise.all(cases.map(([file]) => fileOf(file)));
    const proofs = files.map((file) => provePrefix(file, digest, inThread));
    if (help) await proveQueued();
    expect(await Promise.all(proofs)).toEqual(cases.map(([, proven]) => proven));
  });
});
