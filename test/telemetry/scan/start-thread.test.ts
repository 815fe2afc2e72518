import { open, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { digestPrefix } from "../../../src/telemetry/log-fingerprint.js";
import { START } from "../../../src/telemetry/prefix-chain.js";
import type { RangeJob, RangeReply } from "../../../src/telemetry/scan/parallel-scan.js";
import type { ProofJob, ProofReply } from "../../../src/telemetry/scan/prefix-proof.js";
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
      const job: ProofJob = { id: 7, fd: handle.fd, start: 0, seed: START.toString(16), end: size };
      const reply = await ask<ProofReply>(thread, job);
      const { chain, tail } = await digestPrefix(handle, size);
      expect(reply).toEqual({ id: 7, digest: { end: size, chain, tail } });
    } finally {
      await handle.close();
    }
  });
});
