// A thread that proves cached prefixes (see prefix-proof.ts): hashes a log's first bytes,
// read through the descriptor the report opened it with (threads share descriptors).
import { parentPort } from "node:worker_threads";
import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { digestRange } from "../prefix-chain.js";
import type { ProofJob, ProofReply } from "./prefix-proof.js";
import { BY_THREAD, claim } from "./proof-claim.js";

const port = parentPort;
if (port === null) throw new Error("digest-worker.js runs as a worker thread only");
const api = xxhash();

// The jobs not begun: the biggest is taken first (the main thread helps from the smallest), so
// that the last proof to end is a short one.
const queue: ProofJob[] = [];
let scheduled = false;

port.on("message", (job: ProofJob) => {
  queue.push(job);
  if (scheduled) return;
  scheduled = true;
  // After the messages already here are taken in, so that the choice sees them all.
  setImmediate(() => void api.then(({ h64Raw }) => proveNext(h64Raw), failAll));
});

function proveNext(h64Raw: XXHashAPI["h64Raw"]): void {
  let at = -1;
  for (let i = 0; i < queue.length; i++) {
    if (at === -1 || (queue[i] as ProofJob).end > (queue[at] as ProofJob).end) at = i;
  }
  if (at === -1) {
    scheduled = false;
    return;
  }
  const [job] = queue.splice(at, 1) as [ProofJob];
  // Taken by the main thread meanwhile: it answers for it.
  if (claim(job.claim, BY_THREAD)) {
    let reply: ProofReply;
    try {
      const digest = digestRange(job.fd, job.start, BigInt(`0x${job.seed}`), job.end, h64Raw);
      reply = { id: job.id, digest };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
    }
    port?.postMessage(reply);
  }
  setImmediate(() => proveNext(h64Raw));
}

function failAll(e: unknown): void {
  const error = e instanceof Error ? e.message : String(e);
  for (const job of queue.splice(0)) {
    if (!claim(job.claim, BY_THREAD)) continue;
    const reply: ProofReply = { id: job.id, error };
    port?.postMessage(reply);
  }
  scheduled = false;
}
