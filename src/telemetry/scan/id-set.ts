/**
 * An exact set of event ids, for deduplicating a million-event log without a million strings.
 * A canonical id is a ULID (26 base32 characters, upper-cased) or a UUID (32 hex digits); each
 * is stored as four 32-bit words and a 16-bit tag. A ULID's first 24 characters fill the words
 * 6 by 6 (30 bits each) and its last two the tag (1 + 10 bits); a UUID's 32 digits fill the
 * words 8 by 8 and its tag is UUID_TAG. So two ids are equal exactly when their canonical texts are.
 */

const UUID_TAG = 0xffff;
const MAX_LOAD = 0.7;

// Crockford base32, either case; I, L, O and U are not digits (the Python reader agrees).
const BASE32 = new Int8Array(256).fill(-1);
for (const [i, c] of [..."0123456789ABCDEFGHJKMNPQRSTVWXYZ"].entries()) {
  BASE32[c.charCodeAt(0)] = i;
  BASE32[c.toLowerCase().charCodeAt(0)] = i;
}
const HEX = new Int8Array(256).fill(-1);
for (const [i, c] of [..."0123456789abcdef"].entries()) {
  HEX[c.charCodeAt(0)] = i;
  HEX[c.toUpperCase().charCodeAt(0)] = i;
}

/** One decoded id: four words and a tag (0 when the text is not an id). */
export class IdKey {
  tag = 0;
  readonly words = new Uint32Array(4);

  /**
   * Decodes the id written in `bytes[start, end)`, as `normalizeEventId` accepts it: a
   * 26-character ULID, a hyphenated or a bare UUID. Returns false for anything else.
   */
  decode(bytes: Uint8Array, start: number, end: number): boolean {
    const length = end - start;
    this.tag = 0;
    if (length === 26) return this.#decodeUlid(bytes, start);
    if (length === 36 || length === 32) return this.#decodeUuid(bytes, start, length === 36);
    return false;
  }

  #decodeUlid(bytes: Uint8Array, start: number): boolean {
    const w = this.words;
    let at = start;
    for (let word = 0; word < 4; word++) {
      let value = 0;
      for (let i = 0; i < 6; i++) {
        const v = BASE32[bytes[at++] as number] as number;
        if (v < 0) return false;
        value = (value << 5) | v;
      }
      w[word] = value;
    }
    const a = BASE32[bytes[at] as number] as number;
    const b = BASE32[bytes[at + 1] as number] as number;
    if (a < 0 || b < 0) return false;
    this.tag = 1 + ((a << 5) | b);
    return true;
  }

  #decodeUuid(bytes: Uint8Array, start: number, hyphenated: boolean): boolean {
    const w = this.words;
    let at = start;
    for (let word = 0; word < 4; word++) {
      let value = 0;
      for (let i = 0; i < 8; i++) {
        if (
          hyphenated &&
          (at - start === 8 || at - start === 13 || at - start === 18 || at - start === 23)
        ) {
          if (bytes[at] !== 0x2d) return false;
          at++;
        }
        const v = HEX[bytes[at++] as number] as number;
        if (v < 0) return false;
        value = (value << 4) | v;
      }
      w[word] = value >>> 0;
    }
    this.tag = UUID_TAG;
    return true;
  }
}

/** The set's contents, as plain arrays that can be transferred to another thread or saved. */
export interface IdSetData {
  readonly size: number;
  readonly tags: Uint16Array;
  readonly words: Uint32Array;
}

/** Open addressing over typed arrays: at most ~26 bytes per id, nothing for the GC to trace. */
export class IdSet {
  #size = 0;
  #mask: number;
  #tags: Uint16Array;
  #words: Uint32Array;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots * MAX_LOAD < capacity) slots *= 2;
    this.#mask = slots - 1;
    this.#tags = new Uint16Array(slots);
    this.#words = new Uint32Array(slots * 4);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds the key; false when it was already there. */
  add(key: IdKey): boolean {
    if (key.tag === 0) throw new RangeError("IdSet.add: not a decoded id");
    if (this.#size + 1 > (this.#mask + 1) * MAX_LOAD) this.#grow();
    const w = key.words;
    const slot = this.#find(
      key.tag,
      w[0] as number,
      w[1] as number,
      w[2] as number,
      w[3] as number,
    );
    if (slot >= 0) return false;
    this.#put(~slot, key.tag, w[0] as number, w[1] as number, w[2] as number, w[3] as number);
    this.#size++;
    return true;
  }

  has(key: IdKey): boolean {
    const w = key.words;
    return this.#find(key.tag, w[0] as number, w[1] as number, w[2] as number, w[3] as number) >= 0;
  }

  /**
   * Adds every id of `other`; returns how many were already here. Used to join the sets of a
   * file's ranges read in parallel: within a range ids are distinct, so any hit is an id read
   * twice across ranges.
   */
  addAll(other: IdSetData): number {
    let repeated = 0;
    const { tags, words } = other;
    for (let s = 0; s < tags.length; s++) {
      const tag = tags[s] as number;
      if (tag === 0) continue;
      if (this.#size + 1 > (this.#mask + 1) * MAX_LOAD) this.#grow();
      const o = s * 4;
      const slot = this.#find(
        tag,
        words[o] as number,
        words[o + 1] as number,
        words[o + 2] as number,
        words[o + 3] as number,
      );
      if (slot >= 0) {
        repeated++;
        continue;
      }
      this.#put(
        ~slot,
        tag,
        words[o] as number,
        words[o + 1] as number,
        words[o + 2] as number,
        words[o + 3] as number,
      );
      this.#size++;
    }
    return repeated;
  }

  /** Whether any id of `other` is also in this set. */
  sharesAny(other: IdSet): boolean {
    const tags = other.#tags;
    const words = other.#words;
    for (let s = 0; s < tags.length; s++) {
      const tag = tags[s] as number;
      if (tag === 0) continue;
      const o = s * 4;
      const w0 = words[o] as number;
      const w1 = words[o + 1] as number;
      const w2 = words[o + 2] as number;
      if (this.#find(tag, w0, w1, w2, words[o + 3] as number) >= 0) return true;
    }
    return false;
  }

  data(): IdSetData {
    return { size: this.#size, tags: this.#tags, words: this.#words };
  }

  /** A set over saved arrays (from `data()`); null when they are not a consistent table. */
  static from(data: IdSetData): IdSet | null {
    const slots = data.tags.length;
    if (slots < 16 || (slots & (slots - 1)) !== 0 || data.words.length !== slots * 4) return null;
    let size = 0;
    for (const tag of data.tags) {
      if (tag !== 0) size++;
    }
    if (size !== data.size || size > slots * MAX_LOAD) return null;
    const set = new IdSet(0);
    set.#mask = slots - 1;
    set.#tags = data.tags;
    set.#words = data.words;
    set.#size = size;
    return set;
  }

  // The slot holding the key (>= 0), or ~(the empty slot where it would go).
  #find(tag: number, w0: number, w1: number, w2: number, w3: number): number {
    const mask = this.#mask;
    const tags = this.#tags;
    const words = this.#words;
    let slot = hash(tag, w0, w1, w2, w3) & mask;
    for (;;) {
      const t = tags[slot] as number;
      if (t === 0) return ~slot;
      const o = slot * 4;
      if (
        t === tag &&
        words[o + 3] === w3 &&
        words[o + 2] === w2 &&
        words[o + 1] === w1 &&
        words[o] === w0
      ) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  #put(slot: number, tag: number, w0: number, w1: number, w2: number, w3: number): void {
    this.#tags[slot] = tag;
    const o = slot * 4;
    this.#words[o] = w0;
    this.#words[o + 1] = w1;
    this.#words[o + 2] = w2;
    this.#words[o + 3] = w3;
  }

  #grow(): void {
    const old = { size: 0, tags: this.#tags, words: this.#words };
    const slots = (this.#mask + 1) * 2;
    this.#mask = slots - 1;
    this.#tags = new Uint16Array(slots);
    this.#words = new Uint32Array(slots * 4);
    this.#size = 0;
    this.addAll(old);
  }
}

// A ULID's first words are its timestamp (shared by ids of one millisecond): mix all four.
function hash(tag: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w3 ^ tag, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w0, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Anything that remembers ids: `add` is false for an id already seen. */
export interface IdMemory {
  add(key: IdKey): boolean;
}

/**
 * Ids seen in earlier runs (read-only layers, as loaded from the cache) and a fresh set for the
 * ids read now, which is all a run has to save.
 */
export class LayeredIdSet implements IdMemory {
  readonly layers: readonly IdSet[];
  readonly fresh: IdSet;

  constructor(layers: readonly IdSet[], fresh = new IdSet()) {
    this.layers = layers;
    this.fresh = fresh;
  }

  add(key: IdKey): boolean {
    for (const layer of this.layers) if (layer.has(key)) return false;
    return this.fresh.add(key);
  }
}
