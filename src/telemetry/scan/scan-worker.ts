// A worker thread of the report's parallel scan: sums the byte ranges it is sent.
import { parentPort } from "node:worker_threads";
import { detachEarly } from "./detach-early.js";
import { estimatedIds, IdSet } from "./id-set.js";
import type { RangeJob, RangeReply } from "./parallel-scan.js";
import { type RangePass, startRangePass } from "./range-pass.js";
import { scanRange } from "./scan-range.js";

const port = parentPort;
if (port === null) throw new Error("scan-worker.js runs as a worker thread only");
// Progress goes back every PROGRESS_STEP bytes, not every chunk: messages are not free.
const PROGRESS_STEP = 16 << 20;
// Each reply transfers (detaches) the range's id buffers: see detach-early.ts.
detachEarly();

port.on("message", (job: RangeJob) => {
  const ids = new IdSet(estimatedIds(job.end - job.start), job.room);
  let unreported = 0;
  const onBytes = (bytes: number) => {
    unreported += bytes;
    if (unreported < PROGRESS_STEP) return;
    const message: RangeReply = { progress: unreported };
    port.postMessage(message);
    unreported = 0;
  };
  // With a pass (range-pass.ts), each event goes to it, and its result goes back with the tally.
  let pass: RangePass | null = null;
  const visit: RangePass["visit"] = (f, at, length) => pass?.visit(f, at, length);
  (job.pass === undefined ? Promise.resolve(null) : startRangePass(job.pass, job.end - job.start))
    .then((started) => {
      pass = started;
      return scanRange(job.path, {
        ...job,
        ids,
        onBytes,
        visit: pass === null ? undefined : visit,
      });
    })
    .then(({ tally, end, digest }) => {
      const data = ids.data();
      const found = pass?.finish();
      // Rows kept apart by period cannot be packed; the others are (see LogTally.toJSON).
      const packed = job.window?.period === undefined;
      const reply: RangeReply = {
        tally: tally.toJSON(packed),
        ids: data,
        end,
        digest,
        pass: found?.result,
      };
      const buffers = [data.run.buffer as ArrayBuffer, data.slots.buffer as ArrayBuffer];
      port.postMessage(reply, [...buffers, ...(found?.transfer ?? [])]);
    })
    .catch((e: unknown) => {
      const reply: RangeReply = { error: e instanceof Error ? e.message : String(e) };
      port.postMessage(reply);
    });
});
