import {
  appendFile,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EVENT_LOG_FILE } from "../../../src/telemetry/emit.js";
import { loadPricingTable } from "../../../src/telemetry/pricing.js";
import { CACHE_DIR, costReport } from "../../../src/telemetry/report.js";
import { readCheckedJson, writeCheckedJson } from "../../../src/telemetry/scan/checked-json.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, writeVariedLog } from "../../support/varied-log.js";

const FIRST = "043-first";
const SECOND = "044-second";
/** A feature folder with no log yet: a report counts it as nothing, and so does its roll-up. */
const EMPTY = "045-empty";

interface Scope {
  readonly groupBy?: string;
  readonly feature?: string;
}

async function costOf(root: string, scope: Scope, cache: boolean) {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const warnings: string[] = [];
  const { groups } = await costReport(
    { repoRoot: root, feature: scope.feature, warn: (w) => void warnings.push(w.message) },
    scope.groupBy ?? "agent",
    pricing,
    { threads: 1, cache },
  );
  return { groups, warnings };
}

/** The report read without any cache. */
const reference = (root: string, scope: Scope = {}) => costOf(root, scope, false);
const report = (root: string, scope: Scope = {}) => costOf(root, scope, true);

const logOf = (root: string, feature: string) => join(root, "kitty-specs", feature, EVENT_LOG_FILE);

async function rollups(root: string): Promise<string[]> {
  const files = await readdir(join(root, CACHE_DIR)).catch(() => []);
  return files.filter((f) => f.endsWith(".rollup"));
}

/**
 * The roll-up rewritten (its checksum made anew) to name agent "claude" "forged": a report
 * that shows "forged" took its numbers from the roll-up, one that does not ignored it.
 */
async function forgeRollup(root: string): Promise<void> {
  const [name] = await rollups(root);
  expect(name).toBeDefined();
  const data = readCheckedJson(join(root, CACHE_DIR, name as string)) as {
    rows: { strings: string[] };
  };
  expect(data.rows.strings).toContain("claude");
  data.rows.strings = data.rows.strings.map((s) => (s === "claude" ? "forged" : s));
  await writeCheckedJson(join(root, CACHE_DIR), name as string, data);
}

/** The groups as text (their sums are bigints). */
const shown = (result: { groups: unknown }) =>
  JSON.stringify(result.groups, (_, v) => (typeof v === "bigint" ? String(v) : v));

async function project(): Promise<string> {
  const root = await tempDir();
  await writeVariedLog(root, FIRST, 500);
  await writeVariedLog(root, SECOND, 300);
  await mkdir(join(root, "kitty-specs", EMPTY), { recursive: true });
  return root;
}

/** A project whose roll-up was saved (by the cold report), then forged. */
async function forgedProject(): Promise<string> {
  const root = await project();
  await report(root);
  await forgeRollup(root);
  expect(shown(await report(root))).toContain("forged");
  return root;
}

// Stamps are trusted only when not taken within a tick of a write (`racyStamp`): the clock the
// report reads is set a minute on, so that the logs just written are not racy.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 60_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the report's roll-up (report-rollup.ts)", () => {
  // Each setup leaves the project so that its next report does what the name says.
  it.each<[string, (root: string) => Promise<unknown>]>([
    ["read every log in full", async () => undefined],
    [
      "took every log from its cache entry",
      async (root) => {
        await report(root);
        await rm(join(root, CACHE_DIR, "report-2.rollup"));
      },
    ],
    [
      "proved a touched log by its digest and saved its entry anew",
      async (root) => {
        await report(root);
        await rm(join(root, CACHE_DIR, "report-2.rollup"));
        await utimes(logOf(root, FIRST), new Date(), new Date());
      },
    ],
  ])("is saved by a report that %s, and answers the next", async (_, setup) => {
    const root = await project();
    await setup(root);
    const made = await report(root);
    expect(made).toEqual(await reference(root));
    expect(made.warnings.length).toBeGreaterThan(0); // the varied logs hold malformed lines
    expect(await rollups(root)).toEqual(["report-2.rollup"]); // KEY_FIELD_BITS.agent
    // Answered by the roll-up: the same groups and the same malformed-line warnings.
    expect(await report(root)).toEqual(made);
    await forgeRollup(root);
    expect(shown(await report(root))).toContain("forged");
  });

  it.each<[string, (root: string) => Promise<unknown>]>([
    ["a log appended to", (root) => appendFile(logOf(root, FIRST), `${eventLine(9000, FIRST)}\n`)],
    [
      "a log touched (the same bytes, a new stamp)",
      (root) => utimes(logOf(root, SECOND), new Date(), new Date()),
    ],
    [
      "a log written again in place, the same size",
      async (root) => {
        const text = await readFile(logOf(root, FIRST), "latin1");
        await writeFile(logOf(root, FIRST), text.replace('"claude"', '"Claude"'), "latin1");
      },
    ],
    [
      "a log replaced by a copy of itself (another inode)",
      async (root) => {
        await copyFile(logOf(root, SECOND), `${logOf(root, SECOND)}.new`);
        await rename(`${logOf(root, SECOND)}.new`, logOf(root, SECOND));
      },
    ],
    ["a log written where there was none", (root) => writeVariedLog(root, EMPTY, 50)],
    ["a log removed", (root) => rm(logOf(root, SECOND))],
    ["a new feature", (root) => writeVariedLog(root, "046-new", 50)],
    [
      "a roll-up whose checksum does not match",
      async (root) => {
        const file = join(root, CACHE_DIR, (await rollups(root))[0] as string);
        await writeFile(file, (await readFile(file, "utf8")).replace("forged", "Forged"));
      },
    ],
    [
      "a roll-up of another shape (its checksum made anew)",
      async (root) => {
        const [name] = await rollups(root);
        const data = readCheckedJson(join(root, CACHE_DIR, name as string)) as {
          logs: { stamp: unknown }[];
        };
        for (const log of data.logs) if (log.stamp !== null) log.stamp = { dev: 1 };
        await writeCheckedJson(join(root, CACHE_DIR), name as string, data);
      },
    ],
  ])("is not used after %s", async (_, change) => {
    const root = await forgedProject();
    await change(root);
    const after = await report(root);
    expect(shown(after)).not.toContain("forged");
    expect(after).toEqual(await reference(root));
  });

  // One roll-up per set of key fields kept: another scope with the same fields replaces it.
  it.each<[string, Scope, "kept" | "replaced"]>([
    ["grouped by other fields", { groupBy: "role" }, "kept"],
    ["of one feature", { feature: FIRST }, "replaced"],
  ])("is not used by a report %s (the project's roll-up is then %s)", async (_, scope, then) => {
    const root = await forgedProject();
    const other = await report(root, scope);
    expect(shown(other)).not.toContain("forged");
    expect(other).toEqual(await reference(root, scope));
    expect(await report(root, scope)).toEqual(other); // now from its own roll-up
    const project = shown(await report(root));
    if (then === "kept") expect(project).toContain("forged");
    else expect(project).not.toContain("forged");
  });

  it("is not saved while a log's stamp is racy (taken within a tick of its last write)", async () => {
    const root = await project();
    const ctimes = await Promise.all(
      [FIRST, SECOND].map(async (f) => (await stat(logOf(root, f))).ctimeMs),
    );
    // The report's clock just after the last write: the stamps cannot prove an unchanged log.
    vi.setSystemTime(Math.max(...ctimes) + 10);
    for (let i = 0; i < 3; i++) await report(root);
    expect(await rollups(root)).toEqual([]);
    vi.setSystemTime(Math.max(...ctimes) + 60_000);
    await report(root); // proves the entries by their digests and saves them with fresh stamps
    await report(root);
    expect(await rollups(root)).toHaveLength(1);
  });
});
