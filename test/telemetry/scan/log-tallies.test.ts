import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tallyLogs } from "../../../src/telemetry/scan/log-tallies.js";
import type { LogTally } from "../../../src/telemetry/scan/log-tally.js";
import { KEY_FIELD_BITS, type UsageRow } from "../../../src/telemetry/usage-rows.js";
import { tempDir } from "../../support/temp-project.js";
import { writeVariedLog } from "../../support/varied-log.js";

async function project(): Promise<string[]> {
  const root = await tempDir();
  await writeVariedLog(root, "043-first", 600);
  await writeVariedLog(root, "044-second", 300);
  return ["043-first", "044-second"].map((f) =>
    join(root, "kitty-specs", f, "execution.events.jsonl"),
  );
}

function rowsOf(tallies: readonly LogTally[]): UsageRow[] {
  return tallies.flatMap((t) => [...t.rows]);
}

/** The rows summed by agent and model: what a report grouped by agent reads of them. */
function byAgent(rows: readonly UsageRow[]): Record<string, unknown[]> {
  const sums: Record<string, unknown[]> = {};
  for (const row of rows) {
    const key = `${row.key.agent}/${row.key.model}`;
    const [events = 0, shared = 0, input = 0n, reported = 0n] = (sums[key] ?? []) as [
      number,
      number,
      bigint,
      bigint,
    ];
    sums[key] = [
      events + row.eventCount,
      shared + row.sharedCount,
      input + row.inputTokens.total,
      reported + BigInt(row.reported.total),
    ];
  }
  return sums;
}

describe("tallyLogs", () => {
  it.each([
    ["without a cache", false],
    ["cold, then warm from the cache", true],
  ])(
    "cuts each log's rows down to the key fields kept, with the same sums (%s)",
    async (_, cached) => {
      const paths = await project();
      const cacheDir = cached ? await tempDir() : null;
      const options = { warn: () => undefined, cacheDir, threads: 1 };
      const full = await tallyLogs(paths, options);
      const kept = await tallyLogs(paths, { ...options, keep: KEY_FIELD_BITS.agent });
      expect(rowsOf(kept).length).toBeLessThan(rowsOf(full).length / 4);
      for (const row of rowsOf(kept)) {
        expect(row.key).toMatchObject({ aggregateId: "", role: null, wpId: null, success: null });
      }
      expect(byAgent(rowsOf(kept))).toEqual(byAgent(rowsOf(full)));
      expect(kept.map((t) => [t.lines, t.skipped, t.duplicates])).toEqual(
        full.map((t) => [t.lines, t.skipped, t.duplicates]),
      );
      if (cacheDir !== null) {
        // The cache keeps whole rows: a report that needs every field still reads them there.
        expect((await readdir(cacheDir)).length).toBeGreaterThan(0);
        const again = await tallyLogs(paths, options);
        expect(rowsOf(again).map((r) => r.toJSON())).toEqual(rowsOf(full).map((r) => r.toJSON()));
      }
    },
  );
});
