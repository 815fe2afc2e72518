import { execFile, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { appendFile, mkdir, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createEvent, type Event } from "../../src/events/event.js";
import type { EventId } from "../../src/events/event-id.js";
import { CLOCK_FILE, EVENT_LOG_FILE, emitExecutionEvent } from "../../src/telemetry/emit.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { indexPathFor } from "../../src/telemetry/log-index.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { CACHE_DIR, costReport } from "../../src/telemetry/report.js";
import { tempDir } from "../support/temp-project.js";
import { eventLine, writeVariedLog } from "../support/varied-log.js";

const run = promisify(execFile);
const FEATURE = "043-tampered";
const silent = () => undefined;

/** The report with the cache (as `cost` makes it), and the same report read with none. */
async function reports(root: string) {
  const pricing = await loadPricingTable(root, { warn: silent });
  const scope = { repoRoot: root, warn: silent };
  const options = { threads: 1 };
  const cached = await costReport(scope, "agent,model", pricing, options);
  const uncached = await costReport(scope, "agent,model", pricing, { ...options, cache: false });
  return { cached: cached.groups, uncached: uncached.groups };
}

// The old cache hashed 8 blocks of 4 KiB spread over the covered bytes: an edit between two of
// them, in a file of the same size, went unseen. These offsets are in such a gap.
function unsampledOffset(end: number, after: number): number {
  const last = end - 4096;
  const starts = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Math.floor((last * i) / 7));
  const gaps = starts.slice(1).map((start, i) => ((starts[i] as number) + 4096 + start) >> 1);
  return gaps.find((middle) => middle > after) as number;
}

/** The log with one token count changed in the line at `offset`: same size, another total. */
async function sameSizeVariant(log: string, offset: number): Promise<Buffer> {
  const bytes = await readFile(log);
  const key = Buffer.from('"output_tokens": ');
  const at = bytes.indexOf(key, offset) + key.length;
  bytes[at] = bytes[at] === 0x39 ? 0x31 : 0x39; // first digit: 9, or 1 when it was 9
  return bytes;
}

async function project(events = 800) {
  const root = await tempDir();
  const log = await writeVariedLog(root, FEATURE, events);
  return { root, log };
}

async function header(root: string): Promise<string> {
  const files = await readdir(join(root, CACHE_DIR));
  return join(root, CACHE_DIR, files.find((f) => f.endsWith(".json")) as string);
}

async function git(root: string, ...args: string[]): Promise<void> {
  await run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: root });
}

/**
 * A change to bytes[start, end) that leaves their CRC-32 as it was, made by choosing the last
 * 4 bytes: CRC-32 is linear over GF(2), so 32 bit flips there can cancel any change.
 */
function keepCrc32(bytes: Buffer, edit: (b: Buffer) => void, patchAt: number): void {
  const before = crc32(bytes);
  edit(bytes);
  const flip = (bit: number) => {
    bytes[patchAt + (bit >> 3)] = (bytes[patchAt + (bit >> 3)] as number) ^ (1 << (bit & 7));
  };
  const columns: number[] = [];
  const base = crc32(bytes);
  for (let bit = 0; bit < 32; bit++) {
    flip(bit);
    columns.push((crc32(bytes) ^ base) >>> 0);
    flip(bit);
  }
  // Solve columns . x = base ^ before by elimination, tracking which flips make each row.
  const rows = columns.map((value, bit) => ({ value, flips: 2 ** bit }));
  let target = (base ^ before) >>> 0;
  let flips = 0;
  for (let b = 31; b >= 0; b--) {
    const pivot = rows.find((r) => (r.value >>> b) & 1);
    const others = rows.filter((r) => r !== pivot && (r.value >>> b) & 1);
    for (const r of others) {
      r.value = (r.value ^ (pivot?.value ?? 0)) >>> 0;
      r.flips ^= pivot?.flips ?? 0;
    }
    rows.splice(rows.indexOf(pivot as (typeof rows)[number]), 1);
    const use = (target >>> b) & 1 ? pivot : undefined;
    target = (target ^ (use?.value ?? 0)) >>> 0;
    flips ^= use?.flips ?? 0;
  }
  for (let bit = 0; bit < 32; bit++) ((flips >>> bit) & 1) === 1 && flip(bit);
  expect(crc32(bytes)).toBe(before);
}

type Tamper = (p: { root: string; log: string }) => Promise<void>;

const tamperings: [string, Tamper, Tamper][] = [
  [
    "git checkout of a branch whose log differs mid-file at the same size (real git)",
    async ({ root, log }) => {
      await git(root, "init", "-q", "-b", "main");
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "log");
      await git(root, "checkout", "-qb", "other");
      await writeFile(
        log,
        await sameSizeVariant(log, unsampledOffset((await readFile(log)).length, 0)),
      );
      await git(root, "commit", "-qam", "other log");
      await git(root, "checkout", "-q", "main");
    },
    async ({ root }) => git(root, "checkout", "-q", "other"),
  ],
  [
    "cp of a same-size log over it",
    async ({ root, log }) => {
      const variant = await sameSizeVariant(log, unsampledOffset((await readFile(log)).length, 0));
      await writeFile(join(root, "other.jsonl"), variant);
    },
    async ({ root, log }) => {
      await run("cp", [join(root, "other.jsonl"), log]);
    },
  ],
  [
    "rm and recreate at the same size",
    async () => undefined,
    async ({ log }) => {
      const variant = await sameSizeVariant(log, unsampledOffset((await readFile(log)).length, 0));
      await rm(log);
      await writeFile(log, variant);
    },
  ],
  [
    "an in-place edit of the same size, in the same tick as the report (no sleep)",
    async () => undefined,
    async ({ log }) => {
      const bytes = await readFile(log);
      const variant = await sameSizeVariant(log, unsampledOffset(bytes.length, 0));
      const at = variant.findIndex((byte, i) => byte !== bytes[i]);
      const handle = await open(log, "r+");
      await handle.write(variant.subarray(at, at + 1), 0, 1, at);
      await handle.close();
    },
  ],
  [
    "an edit inside the appended part, after it was cached",
    async () => undefined,
    async ({ root, log }) => {
      const end = (await readFile(log)).length;
      let text = "";
      for (let i = 2000; i < 2800; i++) text += `${eventLine(i, FEATURE)}\n`; // over 256 KiB
      await appendFile(log, text);
      await reports(root);
      const grown = (await readFile(log)).length;
      await writeFile(log, await sameSizeVariant(log, unsampledOffset(grown, end)));
    },
  ],
  [
    "a hand-edited tally in the cache's header",
    async () => undefined,
    async ({ root }) => {
      const file = await header(root);
      const text = await readFile(file, "utf8");
      // A token sum in the rows, one digit more.
      await writeFile(file, text.replace(/("rows":.*?[^0-9])([1-9][0-9]{3,})/, "$1$29"));
      expect(await readFile(file, "utf8")).not.toBe(text);
    },
  ],
  [
    "a tampered id table (its CRC-32 kept) and a repeated line appended",
    async () => undefined,
    async ({ root, log }) => {
      const [json = ""] = (await readFile(await header(root), "utf8")).split("\n");
      const { segments } = JSON.parse(json);
      const { file: name, run: runEntries } = segments[0] as { file: string; run: number };
      const file = join(root, CACHE_DIR, name);
      const bytes = await readFile(file);
      // Every id of the sorted run changed (its first word), the last run entry's tag patched.
      expect(runEntries).toBeGreaterThan(100);
      keepCrc32(
        bytes,
        (b) => {
          for (let at = 0; at < (runEntries - 1) * 20; at += 20) b[at] = (b[at] as number) ^ 1;
        },
        (runEntries - 1) * 20 + 16,
      );
      await writeFile(file, bytes);
      // A line repeated by a git merge: the cached ids say it is one event already counted.
      const first = (await readFile(log, "utf8")).split("\n")[0] as string;
      await appendFile(log, `${first}\n`);
    },
  ],
];

describe("cache tampering: the report cache never changes a number", () => {
  it.each(tamperings)("%s", async (_, prepare, tamper) => {
    const p = await project();
    await prepare(p);
    const before = await reports(p.root);
    expect(before.cached).toEqual(before.uncached);
    await tamper(p);
    const after = await reports(p.root);
    expect(after.cached).toEqual(after.uncached);
    // Once rebuilt, the entry is right again.
    expect((await reports(p.root)).cached).toEqual(after.uncached);
  });
});

function lineWithClock(i: number, clock: number): string {
  return eventLine(i, FEATURE).replace(`"lamport_clock": ${i}`, `"lamport_clock": ${clock}`);
}

async function featureWithClocks(upTo: number): Promise<{ dir: string; log: string }> {
  const root = await tempDir();
  const dir = join(root, "kitty-specs", FEATURE);
  const log = join(dir, EVENT_LOG_FILE);
  let text = "";
  for (let i = 1; i <= upTo; i++) text += `${eventLine(i, FEATURE)}\n`;
  await mkdir(dir, { recursive: true });
  await writeFile(log, text);
  return { dir, log };
}

/** The next clock a writer must take, from a full read of the log (no index). */
async function nextClockWithoutIndex(log: string): Promise<number> {
  const { events } = await new SimpleJsonStore(log, { warn: silent }).read();
  return 1 + Math.max(...events.map((e) => e.lamport_clock));
}

async function emit(dir: string): Promise<Event> {
  return (await emitExecutionEvent(dir, FEATURE, "WP01", "claude", "implementer", {
    warn: silent,
  })) as Event;
}

function eventAfter(head: { maxLamportClock: number; mintEventId(): EventId }): Event {
  return createEvent({
    event_id: head.mintEventId(),
    event_type: "ExecutionEvent",
    aggregate_id: FEATURE,
    timestamp: "2026-09-01T00:00:00+00:00",
    node_id: "test:WP02",
    lamport_clock: head.maxLamportClock + 1,
    payload: {},
  });
}

/** What a raw writer does during an append under our lock, and after it. */
interface RawWriter {
  readonly during: () => void;
  readonly afterWrite?: () => void;
  readonly after: () => void;
}

describe("cache tampering: the emit index never makes the next clock go below the log's", () => {
  it("ignores a hand-edited max_lamport_clock (and a lost clock file)", async () => {
    const { dir, log } = await featureWithClocks(1601);
    expect((await emit(dir)).lamport_clock).toBe(1602);
    const index = indexPathFor(log);
    const text = await readFile(index, "utf8");
    await writeFile(index, text.replace('"max_lamport_clock":1602', '"max_lamport_clock":3'));
    expect(await readFile(index, "utf8")).not.toBe(text);
    await rm(join(dir, CLOCK_FILE));
    const expected = await nextClockWithoutIndex(log);
    expect((await emit(dir)).lamport_clock).toBe(expected);
  });

  it.each<[string, (log: string) => RawWriter]>([
    [
      "a raw line appended between the writer's stat and its write",
      (log: string) => ({
        during: () => appendFileSync(log, `${lineWithClock(5000, 5000)}\n`),
        after: () => undefined,
      }),
    ],
    [
      "a partial raw line present when the index is written, completed afterwards",
      (log: string) => {
        const line = `${lineWithClock(5000, 5000)}\n`;
        return {
          during: () => undefined,
          afterWrite: () => appendFileSync(log, line.slice(0, 100)),
          after: () => appendFileSync(log, line.slice(100)),
        };
      },
    ],
  ])("reads %s", async (_, raw) => {
    const { dir, log } = await featureWithClocks(20);
    const store = new SimpleJsonStore(log, { warn: silent });
    const hooks = raw(log);
    await store.appendNext(
      (head) => {
        hooks.during();
        return eventAfter(head);
      },
      async () => hooks.afterWrite?.(),
    );
    hooks.after();
    const expected = await nextClockWithoutIndex(log);
    expect(expected).toBe(5001);
    expect((await emit(dir)).lamport_clock).toBe(expected);
  });

  it("keeps every clock above the lines before it while a real raw writer appends (python3)", async () => {
    const { dir, log } = await featureWithClocks(20);
    const source = join(dir, "..", "raw-lines.jsonl");
    let lines = "";
    for (let k = 0; k < 4000; k++) lines += `${lineWithClock(10_000 + k, 1_000_000 * (k + 1))}\n`;
    await writeFile(source, lines);
    const stop = join(dir, "..", "stop");
    // Appends one line at a time without our lock, as the Python spec-kitty does.
    const script = [
      "import os, sys, time",
      "src, log, stop = sys.argv[1:4]",
      "for line in open(src):",
      "    if os.path.exists(stop): break",
      "    with open(log, 'a') as f: f.write(line)",
      "    time.sleep(0.002)",
    ].join("\n");
    const python = spawn("python3", ["-c", script, source, log, stop], { stdio: "ignore" });
    const exited = new Promise((resolve) => python.on("exit", resolve));
    const ours: Event[] = [];
    for (let i = 0; i < 200; i++) ours.push(await emit(dir));
    await writeFile(stop, "");
    await exited;
    ours.push(await emit(dir));

    const inFile = (await readFile(log, "utf8"))
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { event_id: string; lamport_clock: number });
    const position = new Map(inFile.map((e, i) => [e.event_id, i]));
    // Each emit starts after the previous one wrote: every line before that one was there to see.
    const misses = ours.slice(1).filter((event, k) => {
      const previousAt = position.get((ours[k] as Event).event_id) as number;
      const seen = inFile.slice(0, previousAt).map((e) => e.lamport_clock);
      return event.lamport_clock <= Math.max(...seen);
    });
    expect(misses).toEqual([]);
    expect(inFile.filter((e) => e.lamport_clock >= 1_000_000).length).toBeGreaterThan(0);
  });
});
