import { describe, expect, it } from "vitest";
import { IdSet } from "../../../src/telemetry/scan/id-set.js";
import { LogTally } from "../../../src/telemetry/scan/log-tally.js";
import { scanRange } from "../../../src/telemetry/scan/scan-range.js";
import { tempDir } from "../../support/temp-project.js";
import { writeVariedLog } from "../../support/varied-log.js";

async function scannedTally(): Promise<LogTally> {
  const path = await writeVariedLog(await tempDir(), "043-first", 400);
  const ids = new IdSet();
  return (await scanRange(path, { start: 0, end: 1e9, ids, unterminated: "read" })).tally;
}

describe("LogTally as a worker sends it", () => {
  it("packs the rows (a few flat arrays, not one per row) and reads back the same tally", async () => {
    const tally = await scannedTally();
    expect(tally.rows.size).toBeGreaterThan(20);
    const message = structuredClone(tally.toJSON(true));
    expect(Array.isArray(message.rows)).toBe(false);
    expect(Object.keys(message.rows as object).sort()).toEqual(["keys", "strings", "sums"]);
    const back = LogTally.fromJSON(message);
    expect(back?.toJSON()).toEqual(tally.toJSON());
  });

  it.each([
    ["a row's JSON", { strings: ["x"], keys: [0], sums: [] }],
    [
      "a string index out of range",
      { strings: [], keys: [0, -1, -1, -1, -1, -1, -1, -1, 0], sums: [] },
    ],
  ])("rejects packed rows that are malformed (%s)", async (_, rows) => {
    const json = { ...(await scannedTally()).toJSON(true), rows };
    expect(LogTally.fromJSON(json)).toBeNull();
  });
});
