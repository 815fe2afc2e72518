// A worker thread of the report's parallel scan: sums the byte ranges it is sent.
import { parentPort } from "node:worker_threads";
import { IdSet } from "./id-set.js";
import type { RangeJob, RangeReply } from "./parallel-scan.js";
import { scanRange } from "./scan-range.js";

const port = parentPort;
if (port === null) throw new Error("scan-worker.js runs as a worker thread only");
// Progress goes back every PROGRESS_STEP bytes, not every chunk: messages are not free.
const PROGRESS_STEP = 16 << 20;

port.on("message", (job: RangeJob) => {
  const ids = new IdSet(Math.ceil((job.end - job.start) / 420));
  let unreported = 0;
  const onBytes = (bytes: number) => {
    unreported += bytes;
    if (unreported < PROGRESS_STEP) return;
    const message: RangeReply = { progress: unreported };
    port.postMessage(message);
    unreported = 0;
  };
  scanRange(job.path, { ...job, ids, onBytes }).then(
    ({ tally, end }) => {
      const data = ids.data();
      const reply: RangeReply = { tally: tally.toJSON(), ids: data, end };
      port.postMessage(reply, [data.run.buffer as ArrayBuffer, data.slots.buffer as ArrayBuffer]);
    },
    (e: unknown) => {
      const reply: RangeReply = { error: e instanceof Error ? e.message : String(e) };
      port.postMessage(reply);
    },
  );
});
