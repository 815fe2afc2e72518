import { describe, expect, it } from "vitest";
import { IdSet } from "../../../src/telemetry/scan/id-set.js";
import { type FileJob, scanFiles } from "../../../src/telemetry/scan/parallel-scan.js";
import { scanRange } from "../../../src/telemetry/scan/scan-range.js";
import { tempDir } from "../../support/temp-project.js";
import { writeVariedLog } from "../../support/varied-log.js";

/** A set's ids as text (its sorted run and its table, as saved). */
function idsOf(set: IdSet): string[] {
  const { run, slots } = set.data();
  const ids: string[] = [];
  for (let o = 0; o < run.length; o += 5) ids.push(run.subarray(o, o + 5).join());
  for (let o = 0; o < slots.length; o += 5)
    if (slots[o] !== 0) ids.push(slots.subarray(o, o + 5).join());
  return ids.sort();
}

describe("scanFiles", () => {
  it("reuses the id memory of finished files for the ranges read after, with the same ids", async () => {
    const root = await tempDir();
    // Biggest first (the order ranges are read in): each later log fits in an earlier one's room.
    const jobs: FileJob[] = [];
    for (const [i, count] of [900, 800, 700, 600, 500, 400].entries()) {
      const path = await writeVariedLog(root, `04${i}-log`, count);
      jobs.push({ path, start: 0, end: 1e9, unterminated: "read" });
    }
    const expected = await Promise.all(
      jobs.map(async (job) => {
        const ids = new IdSet();
        await scanRange(job.path, { ...job, ids });
        return idsOf(ids);
      }),
    );
    const buffers = new Set<ArrayBufferLike>();
    let reused = 0;
    const found: string[][] = [];
    await scanFiles(jobs, { threads: 1, reuseIds: true }, async (file, result) => {
      const [set] = result.ids as [IdSet];
      const buffer = set.data().run.buffer;
      if (buffers.has(buffer)) reused++;
      buffers.add(buffer);
      found[file] = idsOf(set);
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(reused).toBeGreaterThan(0);
    expect(found).toEqual(expected);
  });

  it("keeps every result's ids whole unless told they may be reused", async () => {
    const root = await tempDir();
    const jobs: FileJob[] = [];
    for (const [i, count] of [900, 800, 700, 600].entries()) {
      const path = await writeVariedLog(root, `04${i}-log`, count);
      jobs.push({ path, start: 0, end: 1e9, unterminated: "read" });
    }
    const kept: IdSet[][] = [];
    await scanFiles(jobs, { threads: 1 }, async (file, result) => {
      kept[file] = [...result.ids];
    });
    const after = kept.map((sets) => sets.flatMap(idsOf));
    const fresh = await Promise.all(
      jobs.map(async (job) => {
        const ids = new IdSet();
        await scanRange(job.path, { ...job, ids });
        return idsOf(ids);
      }),
    );
    expect(after).toEqual(fresh);
  });

  it("leaves a worker's ranges to the main thread when the worker reaches its heap bound", async () => {
    const root = await tempDir();
    const jobs: FileJob[] = [];
    for (const [i, count] of [1500, 700].entries()) {
      const path = await writeVariedLog(root, `04${i}-log`, count);
      jobs.push({ path, start: 0, end: 1e9, unterminated: "read" });
    }
    const read = async (options: Parameters<typeof scanFiles>[1]) => {
      const found: unknown[] = [];
      await scanFiles(jobs, options, async (file, result) => {
        found[file] = [result.tally.toJSON(), result.end, result.ids.flatMap(idsOf).sort()];
      });
      return found;
    };
    const alone = await read({ threads: 1 });
    // 1 MB: the worker cannot even load its code, and is ended.
    const bounded = { threads: 2, minRangeBytes: 64 << 10, workerOldSpaceMb: 1 };
    expect(await read(bounded)).toEqual(alone);
  });
});
