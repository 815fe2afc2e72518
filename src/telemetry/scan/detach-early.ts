/**
 * Detaches one empty ArrayBuffer in this thread, once, before a parallel scan's code runs.
 * V8 compiles typed-array code on the assumption that no ArrayBuffer of the thread was ever
 * detached, and throws all of it away the first time one is. A parallel scan transfers id sets
 * between threads (detaching them) once its first ranges are read, when the scanner, the id set
 * and the rows have been optimized: each thread compiled ~40 functions again. With a buffer
 * detached first, they are compiled once, with the check for a detached buffer from the start.
 * Only for a thread that will detach one: that check costs a little on every access (a main
 * thread that gives workers no spare buffers, the dashboard's, spent ~0.15 s more with it).
 */
let detached = false;

export function detachEarly(): void {
  if (detached) return;
  detached = true;
  const buffer = new ArrayBuffer(0);
  structuredClone(buffer, { transfer: [buffer] });
}
