import { appendFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { loadPricingTable } from "../../../src/telemetry/pricing.js";
import { costReport } from "../../../src/telemetry/report.js";
import { scanRange } from "../../../src/telemetry/scan/scan-range.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, writeVariedLog } from "../../support/varied-log.js";

// Not a mock: the real scanRange, watched, to see which logs a report reads line by line.
vi.mock("../../../src/telemetry/scan/scan-range.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../src/telemetry/scan/scan-range.js")>();
  return { ...real, scanRange: vi.fn(real.scanRange) };
});

async function report(root: string) {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const result = await costReport({ repoRoot: root, warn: () => undefined }, "feature", pricing, {
    threads: 1,
  });
  return result.groups;
}

function logsRead(): string[] {
  return vi.mocked(scanRange).mock.calls.map(([path]) => path);
}

describe("a warm report", () => {
  it("does not read a log again when nothing was appended since its cache entry", async () => {
    const root = await tempDir();
    const quiet = await writeVariedLog(root, "043-quiet", 400);
    const busy = await writeVariedLog(root, "044-busy", 400);
    const cold = await report(root);
    vi.mocked(scanRange).mockClear();

    expect(await report(root)).toEqual(cold);
    expect(logsRead()).toEqual([]);

    // The appended log is read from its entry's end on; the other one still not at all.
    await appendFile(busy, `${eventLine(9000, "044-busy")}\n`);
    const appended = await report(root);
    expect(appended).not.toEqual(cold);
    expect(logsRead()).toEqual([busy]);
    expect(logsRead()).not.toContain(quiet);
  });
});
