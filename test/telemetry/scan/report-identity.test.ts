import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CostAccumulator, parseGroupBy } from "../../../src/telemetry/cost.js";
import { loadPricingTable } from "../../../src/telemetry/pricing.js";
import { type EventFilter, streamProjectEvents } from "../../../src/telemetry/query.js";
import { type CostReportOptions, costReport } from "../../../src/telemetry/report.js";
import type { TelemetryWarning } from "../../../src/telemetry/warnings.js";
import { relayout, seeded } from "../../support/relayout.js";
import { FIXTURE_PROJECT, tempDir } from "../../support/temp-project.js";
import { writeVariedLog } from "../../support/varied-log.js";

const DEMO_PROJECT = join(import.meta.dirname, "..", "..", "..", "examples", "demo-project");
const GROUP_BYS = [
  "agent",
  "model",
  "feature",
  "role",
  "wp",
  "agent,model",
  "wp,role",
  "day",
  "month,model",
];
// Days, weeks and months in a zone whose midnight is not UTC's.
const TIME_ZONE = "America/New_York";
const FILTERS: Omit<EventFilter, "eventType">[] = [
  {},
  { since: "2026-09-03", until: "2026-09-05T12:00:00+02:00" },
  { agent: "claude" },
  { success: false },
  { model: "acme-local", role: "reviewer" },
];

/** The reference: every event read by the store's full parse and costed one by one. */
async function reference(root: string, groupBy: string, filter: Omit<EventFilter, "eventType">) {
  const warnings: TelemetryWarning[] = [];
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const acc = new CostAccumulator(parseGroupBy(groupBy), pricing, {
    timeZone: TIME_ZONE,
    wpByFeature: true,
  });
  const events = streamProjectEvents(
    root,
    { ...filter, eventType: "ExecutionEvent" },
    { warn: (w) => warnings.push(w) },
  );
  for await (const event of events) acc.add(event);
  return { groups: acc.groups(), warnings: warnings.map((w) => w.message) };
}

async function fast(
  root: string,
  groupBy: string,
  filter: Omit<EventFilter, "eventType">,
  options: CostReportOptions,
) {
  const warnings: TelemetryWarning[] = [];
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const warn = (w: TelemetryWarning) => warnings.push(w);
  const scope = { repoRoot: root, filter, warn, timeZone: TIME_ZONE };
  const report = await costReport(scope, groupBy, pricing, options);
  return { groups: report.groups, warnings: warnings.map((w) => w.message) };
}

/** A project of varied logs: awkward lines of every kind, a BOM, an unterminated last line. */
async function variedProject(): Promise<string> {
  const root = await tempDir();
  await writeVariedLog(root, "043-first", 3000, { bom: true });
  await writeVariedLog(root, "044-second", 1200, { unterminated: true });
  await writeVariedLog(root, "045-small", 40);
  return root;
}

async function copyOf(project: string): Promise<string> {
  const root = await tempDir();
  await cp(join(project, "kitty-specs"), join(root, "kitty-specs"), { recursive: true });
  return root;
}

describe("the fast report equals the full parse, event by event", () => {
  const settings: [string, CostReportOptions][] = [
    ["one thread", { threads: 1, cache: false }],
    // Tiny ranges: every log is split across the main thread and a worker.
    ["two threads, ranges of 64 KiB", { threads: 2, minRangeBytes: 64 << 10, cache: false }],
    ["with the cache, cold then warm", { threads: 1 }],
  ];
  // Each two-thread report starts a worker (slow from TypeScript sources): fewer filters there.
  const filtersFor = (options: CostReportOptions) =>
    options.threads === 2 ? FILTERS.slice(0, 2) : FILTERS;

  it.each(settings)("on the real fixture and demo projects (%s)", async (_, options) => {
    for (const project of [FIXTURE_PROJECT, DEMO_PROJECT]) {
      const root = await copyOf(project);
      for (const groupBy of GROUP_BYS) {
        for (const filter of filtersFor(options)) {
          const expected = await reference(root, groupBy, filter);
          expect(await fast(root, groupBy, filter, options)).toEqual(expected);
        }
      }
    }
  });

  it.each(settings)(
    "on logs with malformed, repeated and awkward lines (%s)",
    async (_, options) => {
      const root = await variedProject();
      for (const groupBy of GROUP_BYS) {
        for (const filter of filtersFor(options)) {
          const expected = await reference(root, groupBy, filter);
          expect(expected.warnings.length).toBe(3); // the malformed lines really are there
          expect(await fast(root, groupBy, filter, options)).toEqual(expected);
        }
      }
    },
  );

  // The origin (payload `source`), apart from the tables above so that they stay in time.
  const ORIGIN_CASES: [string, Omit<EventFilter, "eventType">][] = [
    ["source", {}],
    ["source,agent", { since: "2026-09-03" }],
    ["agent", { origin: ["import", "unknown"] }],
    ["day", { origin: ["orchestrate"], success: true }],
  ];
  it.each(settings)("grouped and filtered by origin (%s)", async (_, options) => {
    const root = await variedProject();
    for (const [groupBy, filter] of ORIGIN_CASES) {
      expect(await fast(root, groupBy, filter, options)).toEqual(
        await reference(root, groupBy, filter),
      );
    }
  });

  it("reads lines longer than a read chunk, wherever they fall", async () => {
    const root = await tempDir();
    const path = await writeVariedLog(root, "043-first", 3000);
    const { readFile, writeFile } = await import("node:fs/promises");
    const lines = (await readFile(path, "utf8")).split("\n");
    // An error message of 3 MiB: longer than the 1 MiB chunks and the room kept for a carry.
    const huge = (i: number) =>
      (lines[i] as string).replace('"error": null', `"error": "${"x".repeat(3 << 20)}"`);
    for (const i of [5, 1200, 2990]) lines[i] = huge(i);
    expect(lines.filter((line) => line.length > 3 << 20).length).toBeGreaterThanOrEqual(2);
    await writeFile(path, lines.join("\n"));
    for (const options of [{ threads: 1, cache: false }, { threads: 1 }]) {
      expect(await fast(root, "agent,model", {}, options)).toEqual(
        await reference(root, "agent,model", {}),
      );
    }
  });

  it.each(settings)(
    "counts a line in any other valid JSON layout exactly once (%s)",
    async (_, options) => {
      const root = await tempDir();
      const path = await writeVariedLog(root, "043-first", 1500);
      const { readFile, writeFile } = await import("node:fs/promises");
      const random = seeded(16);
      const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l !== "");
      const out: string[] = [];
      for (const line of lines) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          out.push(line); // a malformed line stays as it is
          continue;
        }
        // Each event in another layout; a third of them also as written, before or after it.
        const other = relayout(value, random);
        if (random() >= 0.33) out.push(other);
        else if (random() < 0.5) out.push(line, other);
        else out.push(other, line);
      }
      await writeFile(path, `${out.join("\n")}\n`);
      const canonical = await tempDir();
      await writeVariedLog(canonical, "043-first", 1500);
      for (const groupBy of ["agent,model", "wp,role"]) {
        const expected = await reference(root, groupBy, {});
        // The same groups as the log as written: every event counted once, whatever its layout.
        expect(expected.groups).toEqual((await reference(canonical, groupBy, {})).groups);
        expect(await fast(root, groupBy, {}, options)).toEqual(expected);
      }
    },
  );

  it("counts an event repeated across two parallel ranges once", async () => {
    const root = await tempDir();
    const path = await writeVariedLog(root, "043-first", 2000);
    // The log again after itself: every id of the second half is in the first.
    const { readFile, appendFile } = await import("node:fs/promises");
    await appendFile(path, await readFile(path));
    const options = { threads: 2, minRangeBytes: 64 << 10, cache: false };
    expect(await fast(root, "agent", {}, options)).toEqual(await reference(root, "agent", {}));
    expect(await readdir(root)).not.toContain(".kittify");
  });
});
