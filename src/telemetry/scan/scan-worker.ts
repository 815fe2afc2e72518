// A worker thread of the report's parallel scan: sums the byte ranges it is sent.
import { parentPort } from "node:worker_threads";
import { IdSet } from "./id-set.js";
import type { RangeJob, RangeReply } from "./parallel-scan.js";
import { scanRange } from "./scan-range.js";

const port = parentPort;
if (port === null) throw new Error("scan-worker.js runs as a worker thread only");
port.on("message", (job: RangeJob) => {
  const ids = new IdSet();
  scanRange(job.path, { ...job, ids }).then(
    ({ tally, end }) => {
      const data = ids.data();
      const reply: RangeReply = { tally: tally.toJSON(), ids: data, end };
      port.postMessage(reply, [data.tags.buffer as ArrayBuffer, data.words.buffer as ArrayBuffer]);
    },
    (e: unknown) => {
      const reply: RangeReply = { error: e instanceof Error ? e.message : String(e) };
      port.postMessage(reply);
    },
  );
});
