/**
 * Who hashes a queued prefix proof (prefix-proof.ts): the proving thread or the main thread,
 * whichever claims it first. Its word in shared memory goes from OPEN to the claimer, once. On
 * its own, so that the proving thread (digest-worker.ts) loads nothing else.
 */
export const OPEN = 0;
export const BY_THREAD = 1;
export const BY_MAIN = 2;

/** A fresh claim word, OPEN. */
export function claimWord(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Whether `by` got the job (nobody had claimed it). */
export function claim(word: Int32Array, by: typeof BY_THREAD | typeof BY_MAIN): boolean {
  return Atomics.compareExchange(word, 0, OPEN, by) === OPEN;
}

/** Whether the job is still to be claimed. */
export function isOpen(word: Int32Array): boolean {
  return Atomics.load(word, 0) === OPEN;
}

/** Whether the proving thread claimed the job. */
export function byThread(word: Int32Array): boolean {
  return Atomics.load(word, 0) === BY_THREAD;
}
