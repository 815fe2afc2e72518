import { appendFile, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadPricingTable } from "../../../src/telemetry/pricing.js";
import { costReport } from "../../../src/telemetry/report.js";
import { THREAD_PROOF_BYTES } from "../../../src/telemetry/scan/prefix-proof.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, writeVariedLog } from "../../support/varied-log.js";

const FEATURE = "043-proven";
const EVENTS = 28_000;

/** The report read without the cache (the identity tests hold it to the store's full parse). */
async function reference(root: string) {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const scope = { repoRoot: root, warn: () => undefined };
  return (await costReport(scope, "agent,model", pricing, { cache: false })).groups;
}

/** The cached report, and how many bytes it had to read from the start of a log. */
async function report(root: string) {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  let fullReadBytes = 0;
  const result = await costReport(
    { repoRoot: root, warn: () => undefined },
    "agent,model",
    pricing,
    {
      threads: 1,
      onProgress: (_, total) => {
        fullReadBytes = total;
      },
    },
  );
  return { groups: result.groups, fullReadBytes };
}

const appended = (from: number) =>
  Array.from({ length: 400 }, (_, i) => `${eventLine(from + i, FEATURE)}\n`).join("");

// A big log's cached prefix is proven in a thread of its own while the report reads what was
// appended (prefix-proof.ts): what was read meanwhile counts only once the proof holds.
describe("the report cache of a log big enough for its proof to take a thread", () => {
  it.each<[string, (log: string) => Promise<void>, "appended" | "whole" | "none"]>([
    ["an append", (log) => appendFile(log, appended(EVENTS + 1)), "appended"],
    ["a touch", (log) => utimes(log, new Date(), new Date(Date.now() + 5000)), "none"],
    [
      "a rewrite in place that grows (cp over it), a byte changed at its start",
      async (log) => {
        const text = await readFile(log, "latin1");
        await writeFile(log, text.replace('"cli"', '"CLI"') + appended(EVENTS + 1), "latin1");
      },
      "whole",
    ],
    [
      "a rewrite in place that grows, a byte changed at its end",
      async (log) => {
        const text = await readFile(log, "latin1");
        const at = text.lastIndexOf('"cli"', text.length - 10);
        const changed = `${text.slice(0, at)}"CLI"${text.slice(at + 5)}`;
        await writeFile(log, changed + appended(EVENTS + 1), "latin1");
      },
      "whole",
    ],
  ])(
    "gives the report of no cache after %s",
    async (_, change, read) => {
      const root = await tempDir();
      const log = await writeVariedLog(root, FEATURE, EVENTS);
      expect((await stat(log)).size).toBeGreaterThanOrEqual(THREAD_PROOF_BYTES);
      await report(root);
      await change(log);
      const warm = await report(root);
      expect(warm.groups).toEqual(await reference(root));
      expect(warm.fullReadBytes).toBe(read === "whole" ? (await stat(log)).size : 0);
    },
    120_000,
  );
});
