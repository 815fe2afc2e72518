import type { FileHandle } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import { digestPrefix, type PrefixDigest, sameDigest } from "../log-fingerprint.js";
import { type ChainDigest, START } from "../prefix-chain.js";
import { startThread } from "./start-thread.js";

/**
 * Proves that a log's first bytes are still the ones a cache entry's digest is of (after an
 * append, a `touch`: anything that changed the stamp). A proof of a big log goes to a thread
 * of its own, so that the report reads what was appended (and saves entries) meanwhile: at 1M
 * events that is ~700 MB hashed beside the main thread's work instead of before it. The
 * caller must keep the handle open until the proof settles, and must not use the entry before.
 * A proof never fails: when the thread cannot do it, the main thread does.
 */

/** Below this many bytes a proof is hashed at once here (a thread costs ~35 ms of CPU to start). */
export const THREAD_PROOF_BYTES = 16 << 20;

/** What the thread is sent and sends back (see digest-worker.ts). */
export interface ProofJob {
  readonly id: number;
  readonly fd: number;
  readonly start: number;
  /** The chain up to `start`, in hex. */
  readonly seed: string;
  readonly end: number;
}
export type ProofReply =
  | { readonly id: number; readonly digest: ChainDigest }
  | { readonly id: number; readonly error: string };

interface Pending {
  readonly handle: FileHandle;
  readonly digest: PrefixDigest;
  readonly resolve: (proven: boolean) => void;
}

let thread: Worker | null = null;
let broken = false;
let nextId = 0;
const pending = new Map<number, Pending>();

/**
 * Whether `handle`'s first `digest.end` bytes have that digest. With `inThread` (default: for
 * proofs of THREAD_PROOF_BYTES or more), hashed by the proving thread.
 */
export function provePrefix(
  handle: FileHandle,
  digest: PrefixDigest,
  inThread = digest.end >= THREAD_PROOF_BYTES,
): Promise<boolean> {
  const worker = inThread && !broken ? proverThread() : null;
  if (worker === null) return proveHere(handle, digest);
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, { handle, digest, resolve });
    worker.ref();
    const job: ProofJob = { id, fd: handle.fd, start: 0, seed: hexSeed, end: digest.end };
    worker.postMessage(job);
  });
}

const hexSeed = START.toString(16).padStart(16, "0");

function proveHere(handle: FileHandle, digest: PrefixDigest): Promise<boolean> {
  return digestPrefix(handle, digest.end).then(
    (now) => sameDigest(now, digest),
    () => false,
  );
}

function proverThread(): Worker | null {
  if (thread !== null) return thread;
  let worker: Worker;
  try {
    worker = startThread("digest-worker", { resourceLimits: { maxYoungGenerationSizeMb: 1 } });
  } catch {
    broken = true;
    return null;
  }
  worker.on("message", (reply: ProofReply) => {
    const job = pending.get(reply.id);
    if (job === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if ("error" in reply) void proveHere(job.handle, job.digest).then(job.resolve);
    else job.resolve(sameDigest(reply.digest, job.digest));
  });
  // A thread that failed (to start, say): what it was given is proven here, and so is the rest.
  const fail = () => {
    broken = true;
    thread = null;
    const jobs = [...pending.values()];
    pending.clear();
    for (const job of jobs) void proveHere(job.handle, job.digest).then(job.resolve);
  };
  worker.on("error", fail);
  worker.on("exit", fail);
  thread = worker;
  return worker;
}
