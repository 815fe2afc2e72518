import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IdSet } from "../../../src/telemetry/scan/id-set.js";
import { type FileJob, scanFiles } from "../../../src/telemetry/scan/parallel-scan.js";
import { scanRange } from "../../../src/telemetry/scan/scan-range.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, writeVariedLog } from "../../support/varied-log.js";

/** How many ranges each log was read in, by a scan of two threads with ranges from 16 KiB. */
async function rangesPerLog(eventsPerLog: readonly number[]): Promise<number[]> {
  const root = await tempDir();
  const jobs: FileJob[] = [];
  for (const [i, events] of eventsPerLog.entries()) {
    // Distinct events only: a repeat across two ranges would have its log read again whole.
    const feature = `04${i}-log`;
    const path = join(root, feature, "execution.events.jsonl");
    await mkdir(join(root, feature));
    const lines = Array.from({ length: events }, (_, n) => `${eventLine(n + 1, feature)}\n`);
    await writeFile(path, lines.join(""));
    jobs.push({ path, start: 0, end: (await stat(path)).size, unterminated: "leave" });
  }
  const ranges: number[] = [];
  const options = { threads: 2, minRangeBytes: 16 << 10 };
  await scanFiles(jobs, options, async (i, result) => {
    ranges[i] = result.ids.length;
  });
  return ranges;
}

describe("the parallel scan's ranges", () => {
  it.each([
    ["logs that share out evenly between the threads are read whole", [300, 300, 150, 150], false],
    ["a log bigger than the others together is split", [900, 100, 50], true],
  ])("%s", async (_, eventsPerLog, split) => {
    const ranges = await rangesPerLog(eventsPerLog);
    expect(ranges).toHaveLength(eventsPerLog.length);
    expect((ranges[0] as number) > 1).toBe(split);
    expect(ranges.slice(1).every((n) => n === 1)).toBe(true);
  });
});

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
