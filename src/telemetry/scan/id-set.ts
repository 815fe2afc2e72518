/**
 * An exact set of event ids, for deduplicating a million-event log without a million strings.
 * A canonical id is a ULID (26 base32 characters, upper-cased) or a UUID (32 hex digits); each
 * is stored as four 32-bit words and a tag. A ULID's first 24 characters fill the words
 * 6 by 6 (30 bits each) and its last two the tag (1 + 10 bits); a UUID's 32 digits fill the
 * words 8 by 8 and its tag is UUID_TAG. So two ids are equal exactly when their canonical texts are.
 */

const UUID_TAG = 0xffff;
const MAX_LOAD = 0.7;

// Crockford base32, either case; I, L, O and U are not digits (the Python reader agrees).
const ULID_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE32 = new Int8Array(256).fill(-1);
for (const [i, c] of [...ULID_DIGITS].entries()) {
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

  /** Whether the key holds a ULID (not a UUID, not nothing). */
  get isUlid(): boolean {
    return this.tag !== 0 && this.tag !== UUID_TAG;
  }

  /** The canonical (upper-case) text of the ULID this key holds. */
  ulidText(): string {
    let text = "";
    for (const word of this.words) {
      for (let shift = 25; shift >= 0; shift -= 5) text += ULID_DIGITS[(word >>> shift) & 31];
    }
    const rest = this.tag - 1;
    return text + ULID_DIGITS[rest >>> 5] + ULID_DIGITS[rest & 31];
  }

  /** Makes this key a copy of `other`; returns it. */
  copyFrom(other: IdKey): this {
    this.words.set(other.words);
    this.tag = other.tag;
    return this;
  }

  /** Orders two ULID keys as their canonical texts are ordered. */
  compareUlid(other: IdKey): number {
    for (let i = 0; i < 4; i++) {
      const d = (this.words[i] as number) - (other.words[i] as number);
      if (d !== 0) return d;
    }
    return this.tag - other.tag;
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

/** The set's contents, as arrays that can be transferred to another thread or saved. */
export interface IdSetData {
  readonly size: number;
  /** The ULIDs that came in ascending order: SLOT_WORDS words each, the four words and the tag. */
  readonly run: Uint32Array;
  /** The others, a hash table: SLOT_WORDS words a slot, the tag (0: empty) and the four words. */
  readonly slots: Uint32Array;
  /** The greatest ULID in the set as [w0, w1, w2, w3, tag], or null when it holds none. */
  readonly newest: readonly number[] | null;
  /** How many UUIDs it holds. */
  readonly uuids: number;
}

/**
 * Whether an id may be among ids summed up by `newest` and `uuids` (see IdSetData): a ULID
 * greater than the newest cannot be, nor a UUID when there are none. Fresh events get fresh
 * ULIDs, so an append can mostly be checked without the id tables.
 */
export function mayHold(summary: Pick<IdSetData, "newest" | "uuids">, key: IdKey): boolean {
  if (key.tag === UUID_TAG) return summary.uuids > 0;
  const newest = summary.newest;
  return newest !== null && compareUlid(key.tag, key.words, 0, newest) <= 0;
}

/** Orders ULID keys as their texts are ordered (the base32 digits are in ASCII order). */
function compareUlid(
  tag: number,
  words: ArrayLike<number>,
  at: number,
  other: readonly number[],
): number {
  for (let i = 0; i < 4; i++) {
    const d = (words[at + i] as number) - (other[i] as number);
    if (d !== 0) return d;
  }
  return tag - (other[4] as number);
}

/** The summary of several sets together. */
export function joinSummaries(
  sets: readonly Pick<IdSetData, "newest" | "uuids">[],
): Pick<IdSetData, "newest" | "uuids"> {
  let newest: readonly number[] | null = null;
  let uuids = 0;
  for (const set of sets) {
    uuids += set.uuids;
    const n = set.newest;
    if (n !== null && (newest === null || compareUlid(n[4] as number, n, 0, newest) > 0))
      newest = n;
  }
  return { newest, uuids };
}

/** Words a slot takes: the tag and the key, side by side so that a probe reads one cache line. */
export const SLOT_WORDS = 5;

/** Open addressing over one typed array: ~29 bytes per id at most, nothing for the GC to trace. */
class HashIdSet {
  #size = 0;
  #mask: number;
  #slots: Uint32Array;
  #uuids = 0;

  constructor(capacity = 1024) {
    let count = 16;
    while (count * MAX_LOAD < capacity) count *= 2;
    this.#mask = count - 1;
    this.#slots = new Uint32Array(count * SLOT_WORDS);
  }

  get size(): number {
    return this.#size;
  }

  /** Whether the table holds the id whose key is key[at..at+4) with `tag`. */
  hasWords(tag: number, key: Uint32Array, at: number): boolean {
    return this.#find(tag, key, at) >= 0;
  }

  /** Calls `each(tag, slots, at)` for every id held (its key is slots[at..at+4)). */
  forEach(each: (tag: number, slots: Uint32Array, at: number) => void): void {
    const slots = this.#slots;
    for (let o = 0; o < slots.length; o += SLOT_WORDS) {
      const tag = slots[o] as number;
      if (tag !== 0) each(tag, slots, o + 1);
    }
  }

  /** Adds an id given as words; false when it was already there. */
  addWords(tag: number, key: Uint32Array, at: number): boolean {
    if (this.#size + 1 > (this.#mask + 1) * MAX_LOAD) this.#grow();
    return this.#insert(tag, key, at);
  }

  get uuids(): number {
    return this.#uuids;
  }

  get slots(): Uint32Array {
    return this.#slots;
  }

  /** A table over saved slots holding `size` ids, `uuids` of them UUIDs; null when malformed. */
  static from(slots: Uint32Array, size: number, uuids: number): HashIdSet | null {
    const count = slots.length / SLOT_WORDS;
    if (!Number.isInteger(count) || count < 16 || (count & (count - 1)) !== 0) return null;
    if (!Number.isSafeInteger(size) || size < 0 || size > count * MAX_LOAD) return null;
    if (!Number.isSafeInteger(uuids) || uuids < 0 || uuids > size) return null;
    const set = new HashIdSet(0);
    set.#mask = count - 1;
    set.#slots = slots;
    set.#size = size;
    set.#uuids = uuids;
    return set;
  }

  #insert(tag: number, key: Uint32Array, at: number): boolean {
    const found = this.#find(tag, key, at);
    if (found >= 0) return false;
    const o = ~found * SLOT_WORDS;
    const slots = this.#slots;
    slots[o] = tag;
    slots[o + 1] = key[at] as number;
    slots[o + 2] = key[at + 1] as number;
    slots[o + 3] = key[at + 2] as number;
    slots[o + 4] = key[at + 3] as number;
    this.#size++;
    if (tag === UUID_TAG) this.#uuids++;
    return true;
  }

  // The slot holding the key key[at..at+4) (>= 0), or ~(the empty slot where it would go).
  #find(tag: number, key: Uint32Array, at: number): number {
    const w0 = key[at] as number;
    const w1 = key[at + 1] as number;
    const w2 = key[at + 2] as number;
    const w3 = key[at + 3] as number;
    const mask = this.#mask;
    const slots = this.#slots;
    let slot = hash(tag, w0, w1, w2, w3) & mask;
    for (;;) {
      const o = slot * SLOT_WORDS;
      const t = slots[o] as number;
      if (t === 0) return ~slot;
      if (
        t === tag &&
        slots[o + 4] === w3 &&
        slots[o + 3] === w2 &&
        slots[o + 2] === w1 &&
        slots[o + 1] === w0
      ) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    const count = (this.#mask + 1) * 2;
    this.#mask = count - 1;
    this.#slots = new Uint32Array(count * SLOT_WORDS);
    this.#size = 0;
    this.#uuids = 0;
    for (let o = 0; o < old.length; o += SLOT_WORDS) {
      const tag = old[o] as number;
      if (tag !== 0) this.#insert(tag, old, o + 1);
    }
  }
}

/**
 * An exact set of event ids. A log's ULIDs mostly come in ascending order (each new event gets
 * a new ULID): those are appended to a sorted run, which costs no lookup (an id above the
 * greatest so far cannot be in the set) and touches memory in order; a membership test there is
 * a binary search. ULIDs out of order (two logs merged by git) and UUIDs go to a hash table.
 */
export class IdSet {
  #run: Uint32Array;
  #runCount = 0;
  #rest: HashIdSet;
  /** Whether the run's whole buffer is this set's alone (see `takeRoom`). */
  #ownsBuffer = true;

  /**
   * Room for about `capacity` ids in the run before it grows: `room` when it is big enough (the
   * run of a set no longer used, see `takeRoom`; what it holds is overwritten), else a new array.
   */
  constructor(capacity = 1024, room?: Uint32Array) {
    const words = Math.max(16, Math.ceil(capacity)) * SLOT_WORDS;
    this.#run = room !== undefined && room.length >= words ? room : new Uint32Array(words);
    this.#rest = new HashIdSet(16);
  }

  /**
   * The run's whole array, for a new set to reuse (`new IdSet(capacity, room)`): a scan reads
   * range after range, and a fresh array for each was garbage that a thread collects rarely.
   * This set must not be used after.
   */
  takeRoom(): Uint32Array | null {
    const run = this.#run;
    this.#run = new Uint32Array(0);
    this.#runCount = 0;
    this.#rest = new HashIdSet(16);
    // A set over saved data may share its buffer with its table: its run is not given away.
    if (!this.#ownsBuffer) return null;
    return new Uint32Array(run.buffer, 0, run.buffer.byteLength >> 2);
  }

  get size(): number {
    return this.#runCount + this.#rest.size;
  }

  /** Adds the key; false when it was already there. */
  add(key: IdKey): boolean {
    if (key.tag === 0) throw new RangeError("IdSet.add: not a decoded id");
    return this.#add(key.tag, key.words, 0);
  }

  has(key: IdKey): boolean {
    return this.#has(key.tag, key.words, 0);
  }

  /** Whether any id of `other` is also in this set. */
  sharesAny(other: IdSet): boolean {
    const run = other.#run;
    for (let o = 0; o < other.#runCount * SLOT_WORDS; o += SLOT_WORDS) {
      if (this.#has(run[o + 4] as number, run, o)) return true;
    }
    let shared = false;
    other.#rest.forEach((tag, slots, at) => {
      shared ||= this.#has(tag, slots, at);
    });
    return shared;
  }

  /** Adds every id of `other`. */
  addAll(other: IdSet): void {
    const run = other.#run;
    for (let o = 0; o < other.#runCount * SLOT_WORDS; o += SLOT_WORDS) {
      this.#add(run[o + 4] as number, run, o);
    }
    other.#rest.forEach((tag, slots, at) => {
      this.#add(tag, slots, at);
    });
  }

  data(): IdSetData {
    const count = this.#runCount;
    const run = this.#run.subarray(0, count * SLOT_WORDS);
    const newest =
      count === 0 ? null : [...this.#run.subarray((count - 1) * SLOT_WORDS, count * SLOT_WORDS)];
    // The run stores the tag last; `newest` is [w0, w1, w2, w3, tag] as well.
    return { size: this.size, run, slots: this.#rest.slots, newest, uuids: this.#rest.uuids };
  }

  /**
   * A set over saved data (from `data()`); null when its shape is not a set's. The contents are
   * trusted: whoever saved them checks their integrity (the cache keeps a checksum). `owned`:
   * the run's whole buffer is the set's alone (a worker's reply transfers it so), to give away
   * with `takeRoom`.
   */
  static from(data: IdSetData, owned = false): IdSet | null {
    const runCount = data.run.length / SLOT_WORDS;
    if (!Number.isInteger(runCount)) return null;
    const rest = HashIdSet.from(data.slots, data.size - runCount, data.uuids);
    if (rest === null) return null;
    const set = new IdSet(0);
    set.#run = data.run;
    set.#runCount = runCount;
    set.#rest = rest;
    set.#ownsBuffer = owned;
    return set;
  }

  // A ULID above the run's last is new (every id of the table is at most the run's last when
  // it went there); other ids are looked up in the run, then in the table.
  #add(tag: number, key: Uint32Array, at: number): boolean {
    if (tag !== UUID_TAG) {
      if (this.#runCount === 0 || this.#compareToRun(tag, key, at, this.#runCount - 1) > 0) {
        this.#append(tag, key, at);
        return true;
      }
      if (this.#inRun(tag, key, at)) return false;
    }
    return this.#rest.addWords(tag, key, at);
  }

  #has(tag: number, key: Uint32Array, at: number): boolean {
    if (tag !== UUID_TAG) {
      if (this.#runCount === 0 || this.#compareToRun(tag, key, at, this.#runCount - 1) > 0) {
        return false;
      }
      if (this.#inRun(tag, key, at)) return true;
    }
    return this.#rest.hasWords(tag, key, at);
  }

  #append(tag: number, key: Uint32Array, at: number): void {
    let o = this.#runCount * SLOT_WORDS;
    if (o + SLOT_WORDS > this.#run.length) {
      const bigger = new Uint32Array(Math.max(16 * SLOT_WORDS, this.#run.length * 2));
      bigger.set(this.#run);
      this.#run = bigger;
      this.#ownsBuffer = true;
    }
    const run = this.#run;
    run[o++] = key[at] as number;
    run[o++] = key[at + 1] as number;
    run[o++] = key[at + 2] as number;
    run[o++] = key[at + 3] as number;
    run[o] = tag;
    this.#runCount++;
  }

  #inRun(tag: number, key: Uint32Array, at: number): boolean {
    let lo = 0;
    let hi = this.#runCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const order = this.#compareToRun(tag, key, at, mid);
      if (order === 0) return true;
      if (order < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return false;
  }

  /** The key's order against the run's `index`th id (ULID order: the words, then the tag). */
  #compareToRun(tag: number, key: Uint32Array, at: number, index: number): number {
    const run = this.#run;
    const o = index * SLOT_WORDS;
    for (let i = 0; i < 4; i++) {
      const d = (key[at + i] as number) - (run[o + i] as number);
      if (d !== 0) return d;
    }
    return tag - (run[o + 4] as number);
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

// Lines spec-kitty writes are 350-500 bytes; a wrong guess costs one growth of the set, no more.
const AVERAGE_LINE_BYTES = 420;

/** Enough room for the ids of `bytes` of lines, so a set does not grow (and briefly double) as it fills. */
export function estimatedIds(bytes: number): number {
  return Math.ceil(bytes / AVERAGE_LINE_BYTES);
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
