import { open, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { digestPrefix } from "../../../src/telemetry/log-fingerprint.js";
import { START } from "../../../src/telemetry/prefix-chain.js";
import type { RangeJob, RangeReply } from "../../../src/telemetry/scan/parallel-scan.js";
import type { ProofJob, ProofReply } from "../../../src/telemetry/scan/prefix-proof.js";
import { BY_MAIN, byThread, claim, claimWord } from "../../../src/telemetry/scan/proof-claim.js";
import { startThread } from "../../../src/telemetry/scan/start-thread.js";

const LOG = fileURLToPath(
  new URL(
    "../../fixtures/spec-kitty-project/kitty-specs/043-telemetry-foundation/execution.events.jsonl",
    import.meta.url,
  ),
);

let thread: Worker | null = null;
afterEach(async () => {
  await thread?.terminate();
  thread = null;
});

/** The first reply the thread sends to `job` that is not progress, or its start error. */
function ask<T>(worker: Worker, job: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (reply: T & { progress?: number }) => {
      if (reply.progress === undefined) resolve(reply);
    });
    worker.postMessage(job);
  });
}

// Run from source, as the tests are: each thread must really start (a thread that fails to
// start leaves its work to the main thread silently, and tests of two threads would test one).
describe("startThread (the scan's threads, from source)", () => {
  it("starts the scan worker, which sums the range it is sent", async () => {
    const size = (await stat(LOG)).size;
    thread = startThread("scan-worker");
    const job: RangeJob = { path: LOG, start: 0, end: size, unterminated: "leave" };
    const reply = await ask<RangeReply>(thread, job);
    expect(reply).toHaveProperty("tally");
    expect(reply).toMatchObject({ end: size });
  });

  it("starts the digest worker, whose digest equals the main thread's", async () => {
    const handle = await open(LOG, "r");
    try {
      const size = (await handle.stat()).size;
      thread = startThread("digest-worker");
      const seed = START.toString(16);
      const job: ProofJob = { id: 7, fd: handle.fd, start: 0, seed, end: size, claim: claimWord() };
      const reply = await ask<ProofReply>(thread, job);
      const { chain, tail } = await digestPrefix(handle, size);
      expect(reply).toEqual({ id: 7, digest: { end: size, chain, tail } });
    } finally {
      await handle.close();
    }
  });

  it("leaves to the main thread a proof it has claimed, and takes the others", async () => {
    const handle = await open(LOG, "r");
    try {
      const size = (await handle.stat()).size;
      thread = startThread("digest-worker");
      const seed = START.toString(16);
      const taken = claimWord();
      expect(claim(taken, BY_MAIN)).toBe(true);
      const replies: ProofReply[] = [];
      thread.on("message", (reply: ProofReply) => replies.push(reply));
      const job = (id: number, word: Int32Array): ProofJob => ({
        id,
        fd: handle.fd,
        start: 0,
        seed,
        end: size,
        claim: word,
      });
      thread.postMessage(job(1, taken));
      const open = claimWord();
      await ask<ProofReply>(thread, job(2, open));
      expect(replies.map((reply) => reply.id)).toEqual([2]);
      expect(byThread(open)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
