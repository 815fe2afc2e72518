/**
 * The `limit` greatest items seen so far under `compare`, in memory for `limit` items however
 * many are added: a min-heap whose root, the least kept, is the one a greater newcomer evicts.
 */
export class Latest<T> {
  readonly #limit: number;
  readonly #compare: (a: T, b: T) => number;
  readonly #heap: T[] = [];

  constructor(limit: number, compare: (a: T, b: T) => number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be >= 1");
    this.#limit = limit;
    this.#compare = compare;
  }

  get size(): number {
    return this.#heap.length;
  }

  add(item: T): void {
    const heap = this.#heap;
    if (heap.length < this.#limit) {
      heap.push(item);
      this.#up(heap.length - 1);
    } else if (this.#compare(item, heap[0] as T) > 0) {
      heap[0] = item;
      this.#down(0);
    }
  }

  /** The least item kept (the next to be evicted), or undefined when none is. */
  least(): T | undefined {
    return this.#heap[0];
  }

  /** The kept items, least first. */
  sorted(): T[] {
    return [...this.#heap].sort(this.#compare);
  }

  #less(i: number, j: number): boolean {
    return this.#compare(this.#heap[i] as T, this.#heap[j] as T) < 0;
  }

  #swap(i: number, j: number): void {
    const heap = this.#heap;
    [heap[i], heap[j]] = [heap[j] as T, heap[i] as T];
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < n && this.#less(left, least)) least = left;
      if (right < n && this.#less(right, least)) least = right;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }
}
