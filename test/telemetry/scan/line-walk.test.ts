import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventFields } from "../../../src/telemetry/scan/event-fields.js";
import { walkLines } from "../../../src/telemetry/scan/line-walk.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine } from "../../support/varied-log.js";

/** The buffers a walk of `path` read into, and the lines it handed over. */
async function walk(path: string): Promise<{ buffers: Set<ArrayBufferLike>; lines: number }> {
  const buffers = new Set<ArrayBufferLike>();
  let lines = 0;
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    const onChunk = (bytes: Uint8Array) => buffers.add(bytes.buffer);
    const options = { start: 0, end: size, unterminated: "read", onChunk } as const;
    await walkLines(
      file,
      options,
      new EventFields(),
      () => lines++,
      () => undefined,
    );
  } finally {
    await file.close();
  }
  return { buffers, lines };
}

describe("walkLines", () => {
  it("reads into the buffers of the walk before it, not fresh ones", async () => {
    const path = join(await tempDir(), "log.jsonl");
    // Over two read chunks, so that both buffers of the pair are used.
    const count = 6000;
    await writeFile(
      path,
      Array.from({ length: count }, (_, i) => `${eventLine(i + 1, "043-x")}\n`),
    );
    const first = await walk(path);
    const second = await walk(path);
    expect([first.lines, second.lines]).toEqual([count, count]);
    expect(first.buffers.size).toBe(2);
    // The same objects (toEqual would only compare their bytes).
    for (const buffer of second.buffers) expect(first.buffers.has(buffer)).toBe(true);
  });
});
