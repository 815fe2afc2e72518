// A thread that proves cached prefixes (see prefix-proof.ts): hashes a log's first bytes,
// read through the descriptor the report opened it with (threads share descriptors).
import { parentPort } from "node:worker_threads";
import xxhash from "xxhash-wasm";
import { digestRange } from "../prefix-chain.js";
import type { ProofJob, ProofReply } from "./prefix-proof.js";

const port = parentPort;
if (port === null) throw new Error("digest-worker.js runs as a worker thread only");
const api = xxhash();

port.on("message", (job: ProofJob) => {
  api
    .then(({ h64Raw }) => {
      const digest = digestRange(job.fd, job.start, BigInt(`0x${job.seed}`), job.end, h64Raw);
      const reply: ProofReply = { id: job.id, digest };
      port.postMessage(reply);
    })
    .catch((e: unknown) => {
      const reply: ProofReply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
      port.postMessage(reply);
    });
});
