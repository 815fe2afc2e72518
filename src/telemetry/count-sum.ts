/**
 * An exact running sum of token counts (non-negative safe integers). It adds in a double while
 * the sum is exactly representable (the hot path) and carries into a bigint before it would not
 * be: a plain `+=` past 2^53 rounds, and the sum of two counts below 2^53 can pass it.
 */
export class CountSum {
  #small = 0;
  #big = 0n;

  add(count: number): void {
    const next = this.#small + count;
    // Exact when the true sum is safe; a true sum past 2^53 never rounds down below it.
    if (next <= Number.MAX_SAFE_INTEGER) this.#small = next;
    else {
      this.#big += BigInt(this.#small) + BigInt(count);
      this.#small = 0;
    }
  }

  /** Adds another running sum. */
  addSum(other: CountSum): void {
    if (other.#big !== 0n) this.#big += other.#big;
    this.add(other.#small);
  }

  /** Adds an exact count of any size. */
  addBig(count: bigint): void {
    this.#big += count;
  }

  /** The sum as a number when it is a safe integer, else null. */
  exactNumber(): number | null {
    if (this.#big === 0n) return this.#small;
    const total = this.total;
    return total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : null;
  }

  get total(): bigint {
    return this.#big + BigInt(this.#small);
  }

  /** A number while the sum is a safe integer (the usual case), decimal text past it. */
  toJSON(): number | string {
    return this.exactNumber() ?? this.total.toString();
  }

  /** A sum from `toJSON()`'s output; null when it is neither a count nor a count's digits. */
  static fromJSON(value: unknown): CountSum | null {
    const sum = new CountSum();
    return sum.addJSON(value) ? sum : null;
  }

  /** Adds what `toJSON()` wrote; false (nothing added) when it is neither a count nor digits. */
  addJSON(value: unknown): boolean {
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) this.add(value);
    else if (typeof value === "string" && /^\d{1,400}$/.test(value)) this.addBig(BigInt(value));
    else return false;
    return true;
  }
}
