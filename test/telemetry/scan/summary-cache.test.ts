import {
  appendFile,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CostAccumulator, parseGroupBy } from "../../../src/telemetry/cost.js";
import { readEventLine } from "../../../src/telemetry/event-line.js";
import { contentChecksum } from "../../../src/telemetry/log-fingerprint.js";
import { loadPricingTable } from "../../../src/telemetry/pricing.js";
import { streamProjectEvents } from "../../../src/telemetry/query.js";
import { CACHE_DIR, costReport } from "../../../src/telemetry/report.js";
import { UsageRows } from "../../../src/telemetry/usage-rows.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine, writeVariedLog } from "../../support/varied-log.js";

const FEATURE = "043-cached";

/** The report without any cache, event by event through the store's full parse. */
async function reference(root: string, groupBy = "agent,model") {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const acc = new CostAccumulator(parseGroupBy(groupBy), pricing);
  const events = streamProjectEvents(
    root,
    { eventType: "ExecutionEvent" },
    { warn: () => undefined },
  );
  for await (const event of events) acc.add(event);
  return acc.groups();
}

/** The cached report, and how many bytes it had to read from the start of a log. */
async function report(root: string, groupBy = "agent,model") {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  let fullReadBytes = 0;
  const result = await costReport({ repoRoot: root, warn: () => undefined }, groupBy, pricing, {
    threads: 1,
    onProgress: (_, total) => {
      fullReadBytes = total;
    },
  });
  return { groups: result.groups, fullReadBytes };
}

async function project(events = 800): Promise<{ root: string; log: string }> {
  const root = await tempDir();
  const log = await writeVariedLog(root, FEATURE, events);
  return { root, log };
}

async function cacheFiles(root: string): Promise<string[]> {
  return (await readdir(join(root, CACHE_DIR)).catch(() => [])).sort();
}

/**
 * The roll-up of the unchanged log (report-rollup.ts; saved by a report once the log's stamp is
 * not racy) would answer without its entry: a test of the entry removes it.
 */
async function removeRollups(root: string): Promise<void> {
  for (const f of await cacheFiles(root)) {
    if (f.endsWith(".rollup")) await rm(join(root, CACHE_DIR, f));
  }
}

async function appendEvents(log: string, from: number, count: number): Promise<void> {
  let text = "";
  for (let i = from; i < from + count; i++) text += `${eventLine(i, FEATURE)}\n`;
  await appendFile(log, `${text}{"torn": \n`);
}

describe("the report cache (.kittify/cache)", () => {
  it("gives the same report as no cache, and then reads only what was appended", async () => {
    const { root, log } = await project();
    const cold = await report(root);
    expect(cold.fullReadBytes).toBe((await stat(log)).size);
    expect(cold.groups).toEqual(await reference(root));
    expect((await cacheFiles(root)).length).toBeGreaterThan(0);

    const warm = await report(root);
    expect(warm).toEqual({ groups: cold.groups, fullReadBytes: 0 });

    await appendEvents(log, 5000, 30);
    const appended = await report(root);
    expect(appended.fullReadBytes).toBe(0);
    expect(appended.groups).toEqual(await reference(root));
    expect(appended.groups).not.toEqual(cold.groups);
    // A small append is read again next time rather than saved; a big one is saved.
    const coveredEnd = async () => {
      const header = (await cacheFiles(root)).find((f) => f.endsWith(".json")) as string;
      // The header's first line is its JSON (a checksum line follows).
      const [json = ""] = (await readFile(join(root, CACHE_DIR, header), "utf8")).split("\n");
      return JSON.parse(json).digest.end as number;
    };
    expect(await coveredEnd()).toBeLessThan((await stat(log)).size);
    await appendEvents(log, 6000, 800); // over 256 KiB
    expect((await report(root)).groups).toEqual(await reference(root));
    expect(await coveredEnd()).toBe((await stat(log)).size);
  });

  it("is not used for a log that was truncated, rewritten or replaced", async () => {
    const { root, log } = await project();
    await report(root);
    const bytes = await readFile(log);
    const size = bytes.length;

    await truncate(log, bytes.indexOf(0x0a, size / 2) + 1); // a shorter log
    expect(await report(root)).toEqual({
      groups: await reference(root),
      fullReadBytes: (await stat(log)).size,
    });

    // The same size, another first line.
    await report(root);
    const text = await readFile(log, "latin1");
    await writeFile(log, text.replace('"cli"', '"CLI"'), "latin1");
    expect(await report(root)).toEqual({
      groups: await reference(root),
      fullReadBytes: text.length,
    });

    // Another file in its place (another inode) that changes a line.
    await report(root);
    const replaced = await readFile(log, "latin1");
    await writeFile(`${log}.new`, replaced.replace('"CLI"', '"cli"'), "latin1");
    await rename(`${log}.new`, log);
    expect(await report(root)).toEqual({
      groups: await reference(root),
      fullReadBytes: (await stat(log)).size,
    });

    // Another file in its place that holds the same bytes and more: only those are read (the
    // digest of the covered bytes proves them).
    await report(root);
    await writeFile(
      `${log}.new`,
      `${await readFile(log, "latin1")}${eventLine(9000, FEATURE)}\n`,
      "latin1",
    );
    await rename(`${log}.new`, log);
    expect(await report(root)).toEqual({ groups: await reference(root), fullReadBytes: 0 });
  });

  it("ignores a corrupt or deleted cache and rebuilds it", async () => {
    const { root, log } = await project();
    const expected = await reference(root);
    const size = (await stat(log)).size;
    const headerCorruptions: [string, (file: string) => Promise<void>][] = [
      ["garbage in the header", (f) => writeFile(f, "{not json")],
      ["a header of another shape", (f) => writeFile(f, JSON.stringify({ version: 4, tally: 3 }))],
    ];
    for (const [what, corrupt] of headerCorruptions) {
      await report(root);
      const header = (await cacheFiles(root)).find((f) => f.endsWith(".json"));
      await corrupt(join(root, CACHE_DIR, header as string));
      await removeRollups(root);
      expect(await report(root), what).toEqual({ groups: expected, fullReadBytes: size });
      expect(await report(root), `${what}, rebuilt`).toEqual({
        groups: expected,
        fullReadBytes: 0,
      });
      // The rebuilt entry's table replaced the old one: no file is left behind.
      expect(
        (await cacheFiles(root)).filter((f) => f.endsWith(".ids")),
        what,
      ).toHaveLength(1);
    }
    await rm(join(root, CACHE_DIR), { recursive: true });
    expect(await report(root)).toEqual({ groups: expected, fullReadBytes: size });
  });

  // A header whose checksum was made anew (as a writer of another format would) is still
  // read only when it is of this format and its packed rows check out whole.
  it.each<[string, (header: { version: number; tally: { rows: unknown } }) => void]>([
    [
      "an entry of format 7 (a JSON array per row)",
      (h) => {
        const rows = new UsageRows();
        expect(rows.addPacked(h.tally.rows)).toBe(true);
        h.version = 7;
        h.tally.rows = rows.toJSON();
      },
    ],
    [
      "packed rows naming a string past the table",
      (h) => {
        const rows = h.tally.rows as { strings: string[]; keys: number[] };
        rows.keys[1] = rows.strings.length;
      },
    ],
    [
      "packed rows with a sum cut off",
      (h) => void (h.tally.rows as { sums: unknown[] }).sums.pop(),
    ],
    // The header's schema (its validator compiled ahead of time, scripts/generate-checks.ts).
    [
      "a segment file that leads out of the cache folder",
      (h) => {
        const [segment] = (h as unknown as { segments: { file: string }[] }).segments;
        if (segment) segment.file = `${segment.file}/../../../elsewhere.ids`;
      },
    ],
    [
      "a stamp that is not digits",
      (h) => {
        (h as { stamp?: unknown }).stamp = { dev: 1 };
      },
    ],
    [
      "a racy flag that is not a boolean",
      (h) => {
        (h as { racy?: unknown }).racy = "no";
      },
    ],
  ])("ignores %s and rebuilds it", async (_, rewrite) => {
    const { root, log } = await project();
    const expected = await reference(root);
    await report(root);
    const name = (await cacheFiles(root)).find((f) => f.endsWith(".json")) as string;
    const file = join(root, CACHE_DIR, name);
    const [json = ""] = (await readFile(file, "utf8")).split("\n");
    const header = JSON.parse(json);
    rewrite(header);
    const text = JSON.stringify(header);
    await writeFile(file, `${text}\n${contentChecksum(text)}\n`);
    await removeRollups(root);
    const size = (await stat(log)).size;
    expect(await report(root)).toEqual({ groups: expected, fullReadBytes: size });
    expect(await report(root)).toEqual({ groups: expected, fullReadBytes: 0 });
  });

  it("checks appended old ids against the cached id tables, even corrupt ones", async () => {
    const { root, log } = await project();
    // Valid execution events only: counted twice, a repeat would change event counts.
    const lines = (await readFile(log, "utf8")).split("\n").filter((line) => {
      const event = readEventLine(line);
      return event !== null && !("error" in event) && event.event_type === "ExecutionEvent";
    });
    const tableCorruptions: [string, (file: string) => Promise<void>][] = [
      ["none", async () => undefined],
      ["a cut id table", (f) => truncate(f, 100)],
      [
        "a changed id table",
        async (f) => {
          const bytes = await readFile(f);
          bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
          await writeFile(f, bytes);
        },
      ],
      ["a deleted id table", (f) => rm(f)],
    ];
    for (const [i, [what, corrupt]] of tableCorruptions.entries()) {
      await report(root);
      const table = (await cacheFiles(root)).find((f) => f.endsWith(".ids"));
      await corrupt(join(root, CACHE_DIR, table as string));
      // A line appended again (a git merge): its id is older than the newest cached one, so
      // only the id tables can tell it is a repeat.
      await appendFile(log, `${lines[10 + i]}\n`);
      expect((await report(root)).groups, what).toEqual(await reference(root));
    }
  });

  it("holds tokens, not prices: a changed pricing file shows at once", async () => {
    const { root } = await project();
    const before = await report(root, "model");
    await writeFile(
      join(root, ".kittify", "pricing.yaml"),
      "models:\n  acme-local:\n    input_per_1k: 0.5\n    output_per_1k: 1.5\n",
    );
    const after = await report(root, "model");
    expect(after.fullReadBytes).toBe(0);
    expect(after.groups).toEqual(await reference(root, "model"));
    expect(after.groups).not.toEqual(before.groups);
  });

  it("counts a last line without its newline once, before and after it is completed", async () => {
    const root = await tempDir();
    const log = await writeVariedLog(root, FEATURE, 300, { unterminated: true });
    expect((await report(root)).groups).toEqual(await reference(root));
    // A writer finishes the line (ours adds the newline first), then appends more.
    await appendFile(log, `\n${eventLine(7000, FEATURE)}\n`);
    const after = await report(root);
    expect(after).toEqual({ groups: await reference(root), fullReadBytes: 0 });
  });
});
