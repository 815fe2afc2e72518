import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FileJob, scanFiles } from "../../../src/telemetry/scan/parallel-scan.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine } from "../../support/varied-log.js";

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
