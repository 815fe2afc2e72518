import type { FileHandle } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { digestPrefix, type PrefixDigest, sameDigest } from "../log-fingerprint.js";
import { type ChainDigest, digestRange, START } from "../prefix-chain.js";
import { BY_MAIN, byThread, claim, claimWord, isOpen } from "./proof-claim.js";
import { startThread } from "./start-thread.js";
import { holdAfterWorkerStart } from "./young-generation.js";

/**
 * Proves that a log's first bytes are still the ones a cache entry's digest is of (after an
 * append, a `touch`: anything that changed the stamp). Proofs go to a thread of their own, so
 * that the report reads what was appended (and saves entries) meanwhile: at 1M events that is
 * ~700 MB hashed beside the main thread's work instead of before it. Once the main thread has
 * nothing else to do, it takes proofs the thread has not begun (`proveQueued`): the thread
 * takes the biggest first, the main thread the smallest, each claimed once through a shared
 * word, so that both cores hash until the last one is done. The caller must keep the handle
 * open until the proof settles, and must not use the entry before. A proof never fails: when
 * the thread cannot do it, the main thread does.
 */

/** Below this many bytes a proof starts no thread (a thread costs ~35 ms of CPU to start). */
export const THREAD_PROOF_BYTES = 16 << 20;

/** What the thread is sent and sends back (see digest-worker.ts). */
export interface ProofJob {
  readonly id: number;
  readonly fd: number;
  readonly start: number;
  /** The chain up to `start`, in hex. */
  readonly seed: string;
  readonly end: number;
  /** Its claim word (proof-claim.ts). */
  readonly claim: Int32Array;
}
export type ProofReply =
  | { readonly id: number; readonly digest: ChainDigest }
  | { readonly id: number; readonly error: string };

interface Pending {
  readonly handle: FileHandle;
  readonly digest: PrefixDigest;
  readonly claim: Int32Array;
  readonly resolve: (proven: boolean) => void;
}

let thread: Worker | null = null;
let broken = false;
let nextId = 0;
const pending = new Map<number, Pending>();
let api: Promise<XXHashAPI> | null = null;

/**
 * Whether `handle`'s first `digest.end` bytes have that digest. With `inThread` (default: when
 * a proving thread runs, or this proof is of THREAD_PROOF_BYTES or more), queued for the
 * proving thread (and `proveQueued`); else hashed here at once.
 */
export function provePrefix(
  handle: FileHandle,
  digest: PrefixDigest,
  inThread = thread !== null || digest.end >= THREAD_PROOF_BYTES,
): Promise<boolean> {
  const worker = inThread && !broken ? proverThread() : null;
  if (worker === null) return proveHere(handle, digest);
  const id = nextId++;
  const claim = claimWord();
  return new Promise((resolve) => {
    pending.set(id, { handle, digest, claim, resolve });
    worker.ref();
    const job: ProofJob = { id, fd: handle.fd, start: 0, seed: hexSeed, end: digest.end, claim };
    worker.postMessage(job);
  });
}

/**
 * Hashes here, smallest first, the queued proofs the thread has not begun, until none is left;
 * for a caller that would otherwise wait for them. Between two, whatever is ready runs (what
 * waited for a proof the thread has sent, say).
 */
export async function proveQueued(): Promise<void> {
  if (pending.size === 0) return;
  api ??= xxhash();
  let h64Raw: XXHashAPI["h64Raw"];
  try {
    h64Raw = (await api).h64Raw;
  } catch {
    return; // the thread (or, when it fails, proveHere) does them all
  }
  for (;;) {
    let next: [number, Pending] | null = null;
    for (const entry of pending) {
      const [, job] = entry;
      if (!isOpen(job.claim)) continue;
      if (next === null || job.digest.end < next[1].digest.end) next = entry;
    }
    if (next === null) return;
    const [id, job] = next;
    if (!claim(job.claim, BY_MAIN)) continue;
    let proven = false;
    try {
      const now = digestRange(job.handle.fd, 0, START, job.digest.end, h64Raw);
      proven = sameDigest(now, job.digest);
    } catch {
      // Unreadable now: not proven (the log is then read in full, which reports the error).
    }
    settle(id, job, proven);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const hexSeed = START.toString(16).padStart(16, "0");

function settle(id: number, job: Pending, proven: boolean): void {
  pending.delete(id);
  if (pending.size === 0) thread?.unref();
  job.resolve(proven);
}

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
    // (The thread answers only for what it claimed: the main thread never had it.)
    if (job === undefined || !byThread(job.claim)) return;
    if ("error" in reply) {
      pending.delete(reply.id);
      void proveHere(job.handle, job.digest).then((proven) => settle(reply.id, job, proven));
    } else settle(reply.id, job, sameDigest(reply.digest, job.digest));
  });
  // A thread that failed (to start, say): what it was given is proven here, and so is the rest.
  const fail = () => {
    broken = true;
    thread = null;
    // (None is the main thread's: it settles those before it lets anything else run.)
    const jobs = [...pending];
    pending.clear();
    for (const [id, job] of jobs) {
      void proveHere(job.handle, job.digest).then((proven) => settle(id, job, proven));
    }
  };
  worker.once("online", holdAfterWorkerStart);
  worker.on("error", fail);
  worker.on("exit", fail);
  thread = worker;
  return worker;
}
