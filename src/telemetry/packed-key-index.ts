/** A hash of `length` integers of `keys` from `at`. */
export type KeyHash = (keys: readonly number[], at: number, length: number) => number;

/** FNV-1a over the integers. */
export const fnvKeyHash: KeyHash = (keys, at, length) => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (keys[at + i] as number), 0x01000193);
  return hash;
};

/**
 * The rows of a packed table (`width` integers a row, its key the first `length` of them) by
 * key: the first row of each key, found from the key's integers. A merge into cached rows looks
 * up each added row so; a text id built for every cached row cost ~2 µs a row.
 */
export class PackedKeyIndex {
  readonly #keys: readonly number[];
  readonly #width: number;
  readonly #length: number;
  readonly #hash: KeyHash;
  /** The first row of each hash. */
  readonly #first = new Map<number, number>();
  /** Row by row: the next row of the same hash (-1: none), in the order the rows were added. */
  readonly #next: number[] = [];
  /** Row by row: the last row of its hash's chain (kept for its first row only). */
  readonly #last: number[] = [];

  /** `keys` is read as it grows: rows added to it later are indexed by `add`. */
  constructor(keys: readonly number[], width: number, length: number, hash = fnvKeyHash) {
    this.#keys = keys;
    this.#width = width;
    this.#length = length;
    this.#hash = hash;
  }

  /** Indexes row `row`, the next row of the table (rows are added in their order). */
  add(row: number): void {
    if (row !== this.#next.length) throw new RangeError("rows are indexed in their order");
    const hash = this.#hash(this.#keys, row * this.#width, this.#length);
    this.#next.push(-1);
    this.#last.push(row);
    const first = this.#first.get(hash);
    if (first === undefined) {
      this.#first.set(hash, row);
      return;
    }
    this.#next[this.#last[first] as number] = row;
    this.#last[first] = row;
  }

  /** The first row whose key is `key` (`length` integers), or -1. */
  find(key: readonly number[]): number {
    let row = this.#first.get(this.#hash(key, 0, this.#length)) ?? -1;
    for (; row !== -1; row = this.#next[row] as number) {
      if (this.#sameKey(row, key)) return row;
    }
    return -1;
  }

  #sameKey(row: number, key: readonly number[]): boolean {
    const at = row * this.#width;
    for (let i = 0; i < this.#length; i++) if (this.#keys[at + i] !== key[i]) return false;
    return true;
  }
}
