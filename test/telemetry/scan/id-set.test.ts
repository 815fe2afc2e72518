import { describe, expect, it } from "vitest";
import { normalizeEventId } from "../../../src/events/event-id.js";
import { IdKey, IdSet, LayeredIdSet, mayHold } from "../../../src/telemetry/scan/id-set.js";

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
