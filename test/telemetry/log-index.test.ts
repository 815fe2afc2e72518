import { open } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EventId } from "../../src/events/event-id.js";
import { LogIndex } from "../../src/telemetry/log-index.js";
import { IdKey } from "../../src/telemetry/scan/id-set.js";
import { tempDir } from "../support/temp-project.js";

const DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function randomUlid(random: () => number): EventId {
  let id = "01";
  for (let i = 2; i < 26; i++) id += DIGITS[Math.floor(random() * 32)];
  return id as EventId;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
    return (state >>> 8) / 2 ** 24;
  };
}

/** The window as first written, on strings: what the key-based one must answer alike. */
function referenceAnswers(observed: readonly EventId[], asked: readonly EventId[]) {
  let from: string | null = null;
  const kept: string[] = [];
  for (const id of observed) {
    if ((from !== null && id < from) || kept.includes(id)) continue;
    kept.push(id);
    kept.sort();
    if (kept.length > 128) {
      kept.shift();
      from = kept[0] ?? null;
    }
  }
  return asked.map((id) => (from !== null && id < from ? "unknown" : kept.includes(id)));
}

function keyOf(id: string): IdKey {
  const key = new IdKey();
  key.decode(Buffer.from(id), 0, id.length);
  return key;
}

describe("LogIndex", () => {
  it.each([
    ["in random order", (ids: EventId[]) => ids],
    ["ascending (as one writer appends)", (ids: EventId[]) => [...ids].sort()],
    ["descending", (ids: EventId[]) => [...ids].sort().reverse()],
  ])(
    "keeps the newest ids of a log read %s, as keys, and answers as the string window did",
    async (_, order) => {
      const random = seeded(7);
      const ids = order(Array.from({ length: 700 }, () => randomUlid(random)));
      const observed = [...ids, ...ids.slice(0, 50)]; // repeats, as a merged log has
      const asked = [...ids, ...Array.from({ length: 300 }, () => randomUlid(random))];
      const index = new LogIndex();
      for (const [i, id] of observed.entries()) {
        if (i % 2 === 0) index.observeKey(i, keyOf(id.toLowerCase()));
        else index.observe({ event_id: id, lamport_clock: i } as never);
      }
      const expected = referenceAnswers(observed, asked);
      expect(asked.map((id) => index.contains(id))).toEqual(expected);
      expect(index.maxLamportClock).toBe(observed.length - 1);

      // Saved and loaded again, it answers alike.
      const dir = await tempDir();
      const logPath = join(dir, "execution.events.jsonl");
      const log = await open(logPath, "w+");
      try {
        await index.save(join(dir, "index.json"), log);
        const loaded = await LogIndex.load(join(dir, "index.json"), log, 0);
        expect(asked.map((id) => loaded?.contains(id))).toEqual(expected);
      } finally {
        await log.close();
      }
    },
  );

  it("counts UUIDs apart: with one stored, a UUID can only be found by a scan", () => {
    const index = new LogIndex();
    const uuid = "6f9619ff-8b86-d011-b42d-00c04fc964ff" as EventId;
    expect(index.contains(uuid)).toBe(false);
    index.observeKey(3, keyOf("6F9619FF8B86D011B42D00C04FC964FF"));
    expect([index.contains(uuid), index.maxLamportClock]).toEqual(["unknown", 3]);
  });
});
