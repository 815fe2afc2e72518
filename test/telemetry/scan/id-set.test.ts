import { describe, expect, it } from "vitest";
import { normalizeEventId } from "../../../src/events/event-id.js";
import {
  IdKey,
  IdSet,
  joinSummaries,
  LayeredIdSet,
  mayHold,
} from "../../../src/telemetry/scan/id-set.js";

function key(text: string): IdKey {
  const k = new IdKey();
  const bytes = Buffer.from(text, "latin1");
  k.decode(bytes, 0, bytes.length);
  return k;
}

const ULID = "01KHKJ372XGPW46X27STP0AWF6";
const UUID = "6f1c0a52-9b1e-4c8a-a3f2-5d7e9b0c1d2e";

describe("IdKey and IdSet: exact event ids in 20 bytes", () => {
  it("decodes exactly the ids normalizeEventId accepts, to one key per canonical id", () => {
    const texts = [
      ULID,
      ULID.toLowerCase(),
      "7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
      "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", // over 128 bits: accepted by the Python reader too
      UUID,
      UUID.toUpperCase(),
      UUID.replaceAll("-", ""),
      "01KHKJ372XGPW46X27STP0AWFI", // I is not a base32 digit
      "01KHKJ372XGPW46X27STP0AWFU",
      "6f1c0a52-9b1e-4c8a-a3f2_5d7e9b0c1d2e",
      "6f1c0a529b1e4c8aa3f25d7e9b0c1d2g",
      "short",
      "",
    ];
    const byCanonical = new Map<string, string>();
    for (const text of texts) {
      const normal = normalizeEventId(text);
      const k = key(text);
      expect(k.tag !== 0, text).toBe(typeof normal === "string");
      if (typeof normal !== "string") continue;
      const encoded = `${k.tag}:${[...k.words].join(",")}`;
      const seen = byCanonical.get(normal);
      if (seen !== undefined) expect(encoded, text).toBe(seen);
      for (const [other, otherKey] of byCanonical) {
        if (other !== normal) expect(otherKey, `${text} vs ${other}`).not.toBe(encoded);
      }
      byCanonical.set(normal, encoded);
    }
    expect(byCanonical.size).toBe(4);
  });

  it("remembers 200,000 ids through growth, and saved data reads back", () => {
    const set = new IdSet(16);
    const ids: IdKey[] = [];
    for (let i = 0; i < 200_000; i++) {
      const text = `01KHKJ${String(i).padStart(20, "0")}`;
      ids.push(key(text));
      expect(set.add(ids[i] as IdKey)).toBe(true);
    }
    expect(set.add(key(`01KHKJ${String(123).padStart(20, "0")}`))).toBe(false);
    expect(set.size).toBe(200_000);
    const copy = IdSet.from(set.data());
    expect(copy?.has(ids[199_999] as IdKey)).toBe(true);
    expect(copy?.has(key(ULID))).toBe(false);
    expect(IdSet.from({ ...set.data(), size: 10 ** 9 })).toBeNull();
  });

  it("tells which appended ids could repeat a set's: older ULIDs and, if it has any, UUIDs", () => {
    const set = new IdSet();
    set.add(key("01KHKJ372XGPW46X27STP0AWF6"));
    set.add(key("01KHKJ372XGPW46X27STP0AWF2"));
    const summary = set.data();
    expect(mayHold(summary, key("01KHKJ372XGPW46X27STP0AWF6"))).toBe(true);
    expect(mayHold(summary, key("01KHKJ372XGPW46X27STP0AWF5"))).toBe(true);
    expect(mayHold(summary, key("01KHKJ372XGPW46X27STP0AWF7"))).toBe(false);
    expect(mayHold(summary, key("01KHKJ372ZAAAAAAAAAAAAAAAA"))).toBe(false);
    expect(mayHold(summary, key(UUID))).toBe(false);
    set.add(key(UUID));
    expect(mayHold(set.data(), key("6f1c0a52-9b1e-4c8a-a3f2-000000000000"))).toBe(true);
  });

  it("checks the layers of earlier runs before adding", () => {
    const old = new IdSet();
    old.add(key(ULID));
    const ids = new LayeredIdSet([old]);
    expect(ids.add(key(ULID))).toBe(false);
    expect(ids.add(key(UUID))).toBe(true);
    expect(ids.add(key(UUID))).toBe(false);
    expect(ids.fresh.size).toBe(1);
  });
});

// A small deterministic generator, so that a failure can be replayed.
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Random canonical ids: UUIDs, and ULIDs that share a millisecond prefix (their words collide). */
function randomIds(count: number, seed: number): string[] {
  const random = randomSource(seed);
  const digit = (alphabet: string) => alphabet[Math.floor(random() * alphabet.length)] as string;
  return Array.from({ length: count }, (_, i) => {
    if (i % 2 === 0) {
      const hex = Array.from({ length: 32 }, () => digit("0123456789abcdef")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    return `01KHKJ372X${Array.from({ length: 16 }, () => digit(CROCKFORD.slice(0, 4))).join("")}`;
  });
}

/** The ids in a shuffled order with every third one repeated: ULIDs arrive out of order. */
function shuffledWithRepeats(ids: readonly string[], seed: number): string[] {
  const random = randomSource(seed);
  const order = [...ids, ...ids.filter((_, i) => i % 3 === 0)];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as string, order[i] as string];
  }
  return order;
}

/** What a Set of canonical texts answers, to compare the IdSet with. */
function addAllAndCompare(set: IdSet, texts: readonly string[]) {
  const reference = new Set<string>();
  const mismatches = texts.filter((text) => {
    const added = !reference.has(text);
    reference.add(text);
    return set.add(key(text)) !== added;
  });
  return { mismatches, size: set.size, expectedSize: reference.size };
}

describe("IdSet's hash table (UUIDs and ULIDs out of order)", () => {
  it.each([
    ["a few ids, no growth", 8],
    ["thousands: the table grows many times and probes", 6000],
  ])("agrees with a Set of the ids' texts: %s", (_, count) => {
    const ids = randomIds(count, count);
    const set = new IdSet(16);
    const result = addAllAndCompare(set, shuffledWithRepeats(ids, 7));
    expect(result).toEqual({ mismatches: [], size: count, expectedSize: count });
    expect(ids.filter((id) => !set.has(key(id)))).toEqual([]);
    expect(randomIds(200, 999_999).filter((id) => set.has(key(id)))).toEqual([]);
  });

  it("keeps keys apart that differ in one word only, or only in the tag", () => {
    const base = "01KHKJ372XGPW46X27STP0AWF6";
    // Each differs from `base` in one 6-character word, or in its last two characters (the tag).
    const near = [0, 6, 12, 18, 24, 25].map((at) => `${base.slice(0, at)}Z${base.slice(at + 1)}`);
    const set = new IdSet(16);
    // Descending: every one after the first goes to the hash table.
    const texts = [base, ...near].sort().reverse();
    expect(addAllAndCompare(set, [...texts, ...texts])).toEqual({
      mismatches: [],
      size: 7,
      expectedSize: 7,
    });
  });

  it("addAll merges the run and the table of another set; sharesAny sees either", () => {
    const [mine, theirs, shared] = [0, 1, 2].map((part) => randomIds(3000, 10 + part));
    const a = new IdSet(16);
    const b = new IdSet(16);
    for (const id of shuffledWithRepeats([...(mine as string[]), ...(shared as string[])], 3)) {
      a.add(key(id));
    }
    for (const id of shuffledWithRepeats(theirs as string[], 4)) b.add(key(id));
    expect(a.sharesAny(b)).toBe(false);
    const c = new IdSet(16);
    c.add(key((shared as string[])[1] as string)); // a UUID: only in a's table
    expect(a.sharesAny(c)).toBe(true);
    a.addAll(b);
    expect(a.size).toBe(9000);
    expect([...(theirs as string[]), ...(mine as string[])].every((id) => a.has(key(id)))).toBe(
      true,
    );
    a.addAll(b); // nothing new the second time
    expect(a.size).toBe(9000);
  });

  it("reads its hash table back from saved data", () => {
    const ids = randomIds(3000, 5);
    const set = new IdSet(16);
    for (const id of shuffledWithRepeats(ids, 6)) set.add(key(id));
    const copy = IdSet.from(set.data());
    expect(ids.filter((id) => !copy?.has(key(id)))).toEqual([]);
    expect(copy?.add(key(ids[0] as string))).toBe(false);
    expect(set.data().uuids).toBe(1500);
  });
});

describe("IdSet's run reused by a later set (a scan's ranges, one after another)", () => {
  const ulid = (i: number) => key(`01KHKJ${String(i).padStart(20, "0")}`);

  it("takes a finished set's run, whatever it held, and keeps exactly its own ids", () => {
    const first = new IdSet(1000);
    for (let i = 0; i < 900; i++) first.add(ulid(i));
    const room = first.takeRoom();
    expect(room?.length).toBe(1000 * 5);
    const second = new IdSet(500, room ?? undefined);
    expect(second.data().run.buffer).toBe(room?.buffer);
    for (let i = 2000; i < 2100; i++) expect(second.add(ulid(i))).toBe(true);
    expect(second.add(ulid(2050))).toBe(false);
    expect(second.has(ulid(5))).toBe(false);
    expect(second.has(ulid(899))).toBe(false);
    expect(second.size).toBe(100);
    expect(second.data().newest).toEqual(IdSet.from(second.data())?.data().newest);
  });

  it("takes a new array when the room is too small", () => {
    const first = new IdSet(100);
    const room = first.takeRoom() ?? undefined;
    expect(new IdSet(1000, room).data().run.buffer).not.toBe(room?.buffer);
  });

  it.each([
    ["a set over saved data (its buffer may hold its table too)", false, null],
    ["a set over a worker's transferred run", true, 40 * 5],
  ])("gives away the run of %s only when it owns it", (_, owned, length) => {
    const set = new IdSet(40);
    for (let i = 0; i < 30; i++) set.add(ulid(i));
    // As a worker sends it: the run's ids, over its whole buffer.
    const copy = IdSet.from(set.data(), owned);
    expect(copy?.takeRoom()?.length ?? null).toBe(length);
  });
});

describe("joinSummaries", () => {
  it("keeps the newest ULID and adds up the UUIDs of several sets", () => {
    const sets = [["01KHKJ372XGPW46X27STP0AWF2", UUID], ["01KHKJ372XGPW46X27STP0AWF6"], []].map(
      (ids) => {
        const set = new IdSet();
        for (const id of ids) set.add(key(id));
        return set.data();
      },
    );
    const joined = joinSummaries(sets);
    expect(joined.uuids).toBe(1);
    expect(mayHold(joined, key("01KHKJ372XGPW46X27STP0AWF5"))).toBe(true);
    expect(mayHold(joined, key("01KHKJ372XGPW46X27STP0AWF7"))).toBe(false);
    expect(joinSummaries([])).toEqual({ newest: null, uuids: 0 });
  });
});
