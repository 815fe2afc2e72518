import { appendFile, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../../src/events/event.js";
import { LogIndex } from "../../../src/telemetry/log-index.js";
import type { IdKey } from "../../../src/telemetry/scan/id-set.js";
import { observeLines } from "../../../src/telemetry/scan/observe-lines.js";
import { skimLines } from "../../../src/telemetry/scan/skim-lines.js";
import { tempDir } from "../../support/temp-project.js";
import { eventLine } from "../../support/varied-log.js";

const FEATURE = "043-skim";
const line = (i: number) => eventLine(i, FEATURE);
const idOf = (i: number) => (JSON.parse(line(i)) as Event).event_id;
const bytes = (text: string) => Buffer.from(`${text}\n`, "utf8");

/**
 * The index the skim builds and the one the slow rebuild (`observeLines`, the reference) builds
 * from the same log, both saved as JSON: `head` is read first by the slow rebuild (an index
 * already there), then `tail` is appended and read by each. The skim's is null when it gave up.
 */
async function bothIndexes(head: Buffer, tail: Buffer) {
  const dir = await tempDir();
  const path = join(dir, "execution.events.jsonl");
  await writeFile(path, head);
  const first = await open(path, "r");
  const before = new LogIndex();
  before.size = await observeLines(first, 0, before).finally(() => first.close());
  await appendFile(path, tail);
  const log = await open(path, "r");
  try {
    const saved = async (index: LogIndex, end: number | null, name: string) => {
      if (end === null) return null;
      index.size = end;
      await index.save(join(dir, name), log);
      return JSON.parse(await readFile(join(dir, name), "utf8"));
    };
    const slow = new LogIndex().copyFrom(before);
    const skim = new LogIndex().copyFrom(before);
    return {
      slow: await saved(slow, await observeLines(log, before.size, slow), "slow.json"),
      skim: await saved(
        skim,
        await skimLines(log, before.size, skim, { newestIds: LogIndex.NEWEST_IDS }),
        "skim.json",
      ),
    };
  } finally {
    await log.close();
  }
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
    return (state >>> 8) / 2 ** 24;
  };
}

/** A valid line, its last `}` replaced by `extra` and the `}`: JSON.parse keeps the last key. */
const withKey = (text: string, extra: string) => `${text.slice(0, -1)}, ${extra}}`;

/**
 * Lines meant to fool a skim, each made from event `i` or from an event `top` above all others
 * (whose clock and id would be the highest): invalid ones that look like the writers' layout, and
 * valid ones whose clock or id is not where the layout puts it.
 */
const KINDS: readonly (readonly [string, number, (i: number, top: () => number) => Buffer])[] = [
  ["valid", 60, (i) => bytes(line(i))],
  [
    "invalid, above all",
    3,
    (_, top) => bytes(line(top()).replace('"duration_ms": ', '"duration_ms": -')),
  ],
  ["torn, above all", 1, (_, top) => bytes(line(top()).slice(0, 200))],
  [
    "not UTF-8, above all",
    1,
    (_, top) => {
      const b = bytes(line(top()));
      b[b.length - 20] = 0xff;
      return b;
    },
  ],
  [
    "a repeated clock, the last above all",
    2,
    (i, top) => bytes(withKey(line(i), `"lamport_clock": ${top()}`)),
  ],
  [
    "a repeated id, the last above all",
    2,
    (i, top) => bytes(withKey(line(i), `"event_id": "${idOf(top())}"`)),
  ],
  [
    "a repeated clock spelled with an escape",
    2,
    (i, top) => bytes(withKey(line(i), `"lamport\\u005fclock": ${top()}`)),
  ],
  [
    "a repeated id spelled with an escape",
    2,
    (i, top) => bytes(withKey(line(i), `"event\\u005fid": "${idOf(top())}"`)),
  ],
  ["a repeated clock, the last invalid", 2, (i) => bytes(withKey(line(i), '"lamport_clock": -1'))],
  [
    "a UUID id",
    2,
    (i) =>
      bytes(line(i).replace(idOf(i), `6f9619ff-8b86-d011-b42d-${String(i).padStart(12, "0")}`)),
  ],
  ["a lower-case ULID", 2, (i) => bytes(line(i).replace(idOf(i), idOf(i).toLowerCase()))],
  ["a Windows line end", 3, (i) => Buffer.from(`${line(i)}\r\n`)],
  ["compact JSON, above all", 2, (_, top) => bytes(JSON.stringify(JSON.parse(line(top()))))],
  ["a space before it", 2, (i) => bytes(` ${line(i)}`)],
  [
    "a causation id",
    2,
    (i) => bytes(line(i).replace('"causation_id": null', `"causation_id": "${idOf(i + 1)}"`)),
  ],
  [
    "a clock with a leading zero",
    1,
    (_, top) => bytes(line(top()).replace('"lamport_clock": ', '"lamport_clock": 0')),
  ],
  [
    "a clock with a fraction",
    1,
    (_, top) => bytes(line(top()).replace(/"lamport_clock": (\d+)/, '"lamport_clock": $1.5')),
  ],
  [
    "a nested clock key",
    2,
    (i, top) => bytes(line(i).replace('"payload": {', `"payload": {"lamport_clock": ${top()}, `)),
  ],
  ["blank", 2, () => Buffer.from("\n  \n")],
  ["not JSON", 2, () => bytes('{"aggregate_id": "043-skim", "causation_id": null, "event_id')],
];

/** A log of `count` lines drawn from KINDS, `invalidTop` scaling the invalid kinds. */
function foolingLog(seed: number, count: number, invalidTop: number): Buffer {
  const random = seeded(seed);
  let next = 1_000_000;
  const top = () => next++;
  // The invalid lines that look like the writers' own, with the highest clocks and ids.
  const weights = KINDS.map(([name, weight]) =>
    /^(invalid|torn|not UTF-8)/.test(name) ? weight * invalidTop : weight,
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const parts: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    let pick = random() * total;
    let at = 0;
    while (at < KINDS.length - 1 && pick >= (weights[at] as number))
      pick -= weights[at++] as number;
    parts.push((KINDS[at] as (typeof KINDS)[number])[2](i, top));
  }
  return Buffer.concat(parts);
}

describe("skimLines", () => {
  it.each(Array.from({ length: 16 }, (_, seed) => [seed + 1, seed % 4]))(
    "builds the slow rebuild's index from lines meant to fool it (seed %i, invalid lines above all x%i)",
    async (seed, invalidTop) => {
      const log = foolingLog(seed, 700, invalidTop);
      const { slow, skim } = await bothIndexes(Buffer.alloc(0), log);
      // With few invalid lines at the top the skim decides; with many it may hand over.
      if (invalidTop <= 1) expect(skim).not.toBeNull();
      if (skim !== null) expect(skim).toEqual(slow);
    },
  );

  it.each([
    ["a byte-order mark on line 1", Buffer.from(`\ufeff${line(1)}\n${line(2)}\n`)],
    ["a BOM on line 1 that is not valid JSON after it", Buffer.from(`\ufeff{\n${line(2)}\n`)],
    [
      "a torn last line (left out: it may grow)",
      Buffer.from(`${line(1)}\n${line(2).slice(0, 300)}`),
    ],
    ["an empty log", Buffer.alloc(0)],
    ["only invalid lines", bytes(line(5).replace('"duration_ms": ', '"duration_ms": -'))],
    [
      "a repeated clock key, the last higher than any",
      // The line is not among the newest ids either (those are all read whole).
      Buffer.concat([
        bytes(withKey(line(3), '"lamport_clock": 9999')),
        ...Array.from({ length: 300 }, (_, i) => bytes(line(i + 4))),
      ]),
    ],
    [
      "a clock written with an exponent, higher than any",
      Buffer.concat([
        bytes(line(3).replace('"lamport_clock": 3', '"lamport_clock": 2e14')),
        ...Array.from({ length: 300 }, (_, i) => bytes(line(i + 4))),
      ]),
    ],
    [
      "a repeated id key, the last newer than any",
      Buffer.concat([bytes(withKey(line(3), `"event_id": "${idOf(9)}"`)), bytes(line(4))]),
    ],
  ])("reads %s as the slow rebuild does", async (_, log) => {
    const { slow, skim } = await bothIndexes(Buffer.alloc(0), log);
    expect(skim).toEqual(slow);
  });

  it("continues an index from where it ends, as the slow rebuild does", async () => {
    const log = foolingLog(99, 900, 1);
    const cut = log.indexOf(0x0a, log.length >> 1) + 1;
    const { slow, skim } = await bothIndexes(log.subarray(0, cut), log.subarray(cut));
    expect(skim).not.toBeNull();
    expect(skim).toEqual(slow);
  });

  // Invalid lines in the writers' layout (no backslash: each one is a candidate).
  const invalid = (text: string) =>
    bytes(
      text
        .replace('"duration_ms": ', '"duration_ms": -')
        .replace('"WPStatusChanged"', '"ExecutionEvent"')
        .replaceAll("\\", ""),
    );
  const valid = Array.from({ length: 300 }, (_, i) => bytes(line(i + 1)));
  it.each([
    [
      "more invalid lines with the highest clocks than it keeps",
      Buffer.concat([
        ...valid,
        ...Array.from({ length: 100 }, (_, i) =>
          invalid(line(i + 1).replace(/"lamport_clock": \d+/, `"lamport_clock": ${5000 + i}`)),
        ),
      ]),
    ],
    [
      "more invalid lines with the newest ids than it keeps",
      Buffer.concat([
        ...valid,
        ...Array.from({ length: 100 }, (_, i) =>
          invalid(line(1000 + i).replace(/"lamport_clock": \d+/, '"lamport_clock": 1')),
        ),
      ]),
    ],
    [
      "just too many invalid lines with the newest ids for the others to fill the window",
      Buffer.concat([
        ...valid,
        ...Array.from({ length: 64 }, (_, i) =>
          invalid(line(1000 + i).replace(/"lamport_clock": \d+/, '"lamport_clock": 1')),
        ),
      ]),
    ],
    [
      "a line longer than its read buffer",
      bytes(withKey(line(1), `"note": "${"x".repeat(1_500_000)}"`)),
    ],
  ])("hands over when it cannot tell: %s", async (_, log) => {
    const { skim } = await bothIndexes(Buffer.alloc(0), log);
    expect(skim).toBeNull();
  });

  it("validates only the lines that decide the index, not every line", async () => {
    const dir = await tempDir();
    const path = join(dir, "execution.events.jsonl");
    const count = 3000;
    await writeFile(path, Array.from({ length: count }, (_, i) => `${line(i + 1)}\n`).join(""));
    const seen = { parsed: 0, scanned: 0 };
    const counting = new LogIndex();
    const observer = {
      observe: (event: Event) => {
        seen.parsed++;
        counting.observe(event);
      },
      observeKey: (clock: number, id: IdKey) => {
        seen.scanned++;
        counting.observeKey(clock, id);
      },
    };
    const log = await open(path, "r");
    try {
      expect(await skimLines(log, 0, observer, { newestIds: LogIndex.NEWEST_IDS })).toBe(
        (await log.stat()).size,
      );
    } finally {
      await log.close();
    }
    // The lines with a backslash (one in ten of these) are read whole; the others only skimmed,
    // but for the candidates: one for the clock, the newest ids and their spares.
    expect(seen.parsed + seen.scanned).toBeLessThan(count / 5);
    expect(counting.maxLamportClock).toBe(count);
    expect(counting.contains(idOf(count) as never)).toBe(true);
  });
});
