import { EventError } from "./errors.js";

/** Where a node's Lamport clock value persists between runs. */
export interface ClockStorage {
  /** The last saved value for `nodeId`; 0 for a node never saved. */
  load(nodeId: string): Promise<number>;
  /** Saves `value` for `nodeId`; a negative or non-integer value is refused. */
  save(nodeId: string, value: number): Promise<void>;
}

/**
 * The highest Lamport clock accepted anywhere (2^48 - 1): far above any real count of events, and
 * far enough below 2^53 that a hostile or corrupt value above it is refused as corrupt instead of
 * pushing every later clock past what a double holds exactly.
 */
export const MAX_LAMPORT_CLOCK = 2 ** 48 - 1;

/** Whether `value` is a clock value: an integer from 0 to `MAX_LAMPORT_CLOCK`. */
export function isClockValue(value: unknown): value is number {
  return (
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_LAMPORT_CLOCK
  );
}

/** Throws unless `value` is a clock value (an integer from 0 to `MAX_LAMPORT_CLOCK`). */
export function assertClockValue(value: number): void {
  if (!isClockValue(value)) {
    throw new EventError(
      "INVALID_CLOCK_VALUE",
      `clock value must be a non-negative integer up to ${MAX_LAMPORT_CLOCK}, got ${value}`,
    );
  }
}

/** Clock storage in memory, for tests and single-process use. */
export class InMemoryClockStorage implements ClockStorage {
  readonly #values = new Map<string, number>();

  async load(nodeId: string): Promise<number> {
    return this.#values.get(nodeId) ?? 0;
  }

  async save(nodeId: string, value: number): Promise<void> {
    assertClockValue(value);
    this.#values.set(nodeId, value);
  }
}

/** A Lamport logical clock for one node, persisted through a `ClockStorage`. */
export class LamportClock {
  readonly nodeId: string;
  readonly #storage: ClockStorage;
  #value: number;

  private constructor(nodeId: string, storage: ClockStorage, value: number) {
    this.nodeId = nodeId;
    this.#storage = storage;
    this.#value = value;
  }

  /** A clock that continues from the value `storage` holds for `nodeId`. */
  static async load(nodeId: string, storage: ClockStorage): Promise<LamportClock> {
    return new LamportClock(nodeId, storage, await storage.load(nodeId));
  }

  /** The current value, without advancing. */
  get current(): number {
    return this.#value;
  }

  /** Advances for a local event and returns the new value. */
  async tick(): Promise<number> {
    return this.#advanceTo(this.#value + 1);
  }

  /** Merges a value seen on a remote event: max(local, remote) + 1. */
  async update(remote: number): Promise<number> {
    assertClockValue(remote);
    return this.#advanceTo(Math.max(this.#value, remote) + 1);
  }

  async #advanceTo(next: number): Promise<number> {
    await this.#storage.save(this.nodeId, next);
    this.#value = next;
    return next;
  }
}
