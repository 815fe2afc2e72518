import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { PrefixDigest } from "../log-fingerprint.js";
import { READ_FLAGS } from "../project-paths.js";
import { detachEarly } from "./detach-early.js";
import { estimatedIds, IdSet, type IdSetData, SLOT_WORDS } from "./id-set.js";
import { LogTally, type LogTallyJson } from "./log-tally.js";
import { checkPrefixDigest } from "./prefix-digest.generated.js";
import { type RangePass, type RangePassSpec, startRangePass } from "./range-pass.js";
import { type RangeOptions, scanRange, type TimeWindow } from "./scan-range.js";
import { startThread } from "./start-thread.js";
import { holdAfterWorkerStart, withYoungGenerationHeld } from "./young-generation.js";

/** One log to sum, from a line start to its end. */
export interface FileJob {
  readonly path: string;
  readonly start: number;
  /** The file's size when planned: lines starting before it are read. */
  readonly end: number;
  readonly unterminated: RangeOptions["unterminated"];
  /** Given, a file read whole in one range (from 0) has its prefix digest taken as it is read. */
  readonly digestOf?: RangeOptions["digestOf"];
}

export interface FileResult {
  readonly tally: LogTally;
  /**
   * The ids of the lines read, one set per range (to save in the cache as they are). With
   * `reuseIds`, only until `onFile`'s promise settles: their memory then goes to later ranges.
   */
  readonly ids: readonly IdSet[];
  /** The offset after the last line read. */
  readonly end: number;
  /** With a `pass`: each range's result, in file order (one when the file was read whole). */
  readonly passes: readonly unknown[];
  /** The digest of the file's first `end` bytes when it was read whole with `digestOf`; else null. */
  readonly digest: PrefixDigest | null;
}

export interface ParallelOptions {
  readonly window?: TimeWindow | undefined;
  /** Threads to use, the main one included; default: the machine's available parallelism. */
  readonly threads?: number | undefined;
  /** Below this many bytes a range is not worth a thread of its own; default 8 MiB. */
  readonly minRangeBytes?: number | undefined;
  /**
   * The id sets of a finished file are emptied once `onFile`'s promise settles, and their memory
   * used by the ranges read after (see Rooms): for a caller that keeps no FileResult's ids.
   */
  readonly reuseIds?: boolean | undefined;
  /** A worker's bound on its old generation in MB (see startWorker); default 1024. */
  readonly workerOldSpaceMb?: number | undefined;
  /** Called with the bytes read so far, as the scan goes (for a progress indicator). */
  readonly onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
  /** Given, every range is read with its own pass (see range-pass.ts), instead of summed into rows. */
  readonly pass?: RangePassSpec | undefined;
}

/** What a worker is sent and sends back (see scan-worker.ts). */
export interface RangeJob extends Omit<RangeOptions, "ids" | "visit"> {
  readonly path: string;
  readonly pass?: RangePassSpec | undefined;
  /** An array for the range's id set to use (see IdSet's `room`), transferred with the job. */
  readonly room?: Uint32Array | undefined;
}
export type RangeReply =
  | {
      readonly tally: LogTallyJson;
      readonly ids: IdSetData;
      readonly end: number;
      readonly digest: PrefixDigest | null;
      readonly pass?: unknown;
    }
  | { readonly progress: number }
  | { readonly error: string };

const DEFAULT_MIN_RANGE = 8 << 20;
const WORKER_OLD_SPACE_MB = 1024;
const RANGES_PER_THREAD = 4;
const NEWLINE = 0x0a;

interface RangeResult {
  readonly tally: LogTally;
  readonly ids: IdSet;
  readonly end: number;
  readonly digest: PrefixDigest | null;
  readonly pass?: unknown;
}

interface PlannedRange {
  readonly job: RangeJob;
  readonly file: number;
  /** Set once read; let go once its file is joined (`read` stays true). */
  result?: RangeResult;
  read?: boolean;
}

// Compiled ahead of time (scripts/generate-checks.ts): a cold report loads no compiler for it.
const isDigest = (value: unknown): value is PrefixDigest => checkPrefixDigest(value);

/**
 * Sums several logs, splitting big ones into line-aligned ranges read by worker threads and
 * the main thread at once. Each range keeps its own id set; joining them finds events repeated
 * across ranges, and a file with any is read again in one piece, so the result is always the
 * one a single sequential read gives. Each file's result goes to `onFile` as soon as all its
 * ranges are read, and is not kept: memory holds the id sets of the files being read, not all.
 */
export async function scanFiles(
  files: readonly FileJob[],
  options: ParallelOptions,
  onFile: (index: number, result: FileResult) => Promise<void>,
): Promise<void> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const total = files.reduce((sum, f) => sum + Math.max(0, f.end - f.start), 0);
  // Several ranges a thread, taken biggest first, so that the threads finish close together.
  const share = Math.ceil(total / (threads * RANGES_PER_THREAD));
  const minRange = options.minRangeBytes ?? DEFAULT_MIN_RANGE;
  // A split file costs more than its ranges: they are joined (their ids compared), and its
  // digest for the cache is taken by a read of its own. When whole files already share out
  // evenly between the threads, none is split.
  const target = sharesOutWhole(files, threads)
    ? Number.POSITIVE_INFINITY
    : Math.max(minRange, share);
  const ranges: PlannedRange[] = [];
  for (const [file, job] of files.entries()) {
    for (const range of await splitFile(job, target, options.window))
      ranges.push({ job: { ...range, pass: options.pass }, file });
  }
  let done = 0;
  const progress = (bytes: number) => {
    done += bytes;
    options.onProgress?.(Math.min(done, total), total);
  };
  const unread = files.map((_, file) => ranges.filter((r) => r.file === file).length);
  const finishing: Promise<void>[] = [];
  const rooms = options.reuseIds ? new Rooms() : null;
  const finish = (file: number) => {
    const joined = (async () => {
      const own = ranges.filter((r) => r.file === file);
      const sets = own.map((r) => r.result?.ids);
      const result = await joinFile(files[file] as FileJob, own, options);
      for (const range of own) delete range.result;
      await onFile(file, result);
      if (rooms !== null) for (const set of new Set([...sets, ...result.ids])) rooms.give(set);
    })();
    // Awaited below with the others; until then a failure must not count as unhandled.
    joined.catch(() => undefined);
    finishing.push(joined);
  };
  for (const [file, count] of unread.entries()) if (count === 0) finish(file);
  const onRange = (range: PlannedRange) => {
    range.read = true;
    unread[range.file] = (unread[range.file] as number) - 1;
    if (unread[range.file] === 0) finish(range.file);
  };
  // A worker takes ~50 ms and ~20 MB to start: not worth it for less than one range of data.
  const workerCount = total < minRange ? 0 : Math.min(threads, ranges.length) - 1;
  const oldSpaceMb = options.workerOldSpaceMb ?? WORKER_OLD_SPACE_MB;
  // Jobs for workers transfer (detach) spare id buffers: see detach-early.ts. Without spare
  // buffers to give, this thread detaches none, and its code need not check for one.
  if (workerCount > 0 && options.reuseIds) detachEarly();
  const all = async () => {
    await runRanges(ranges, workerCount, progress, onRange, rooms, oldSpaceMb);
    await Promise.all(finishing);
  };
  // A scan big enough for workers keeps its young generation as it is (see young-generation.ts).
  await (workerCount > 0 ? withYoungGenerationHeld(all) : all());
}

/**
 * The id-set runs of finished files, for the sets of ranges read after: memory already touched
 * is reused rather than new arrays allocated while the old ones wait for a rare collection
 * (main thread) or move to the main thread with each reply (workers).
 */
class Rooms {
  readonly #spare: Uint32Array[] = [];

  give(set: IdSet | undefined): void {
    if (set === undefined) return;
    const room = set.takeRoom();
    if (room !== null && room.length > 0) this.#spare.push(room);
  }

  /** The smallest spare run with room for the ids of `bytes` of lines, if any. */
  take(bytes: number): Uint32Array | undefined {
    const words = estimatedIds(bytes) * SLOT_WORDS;
    let best = -1;
    for (const [i, room] of this.#spare.entries()) {
      if (
        room.length >= words &&
        (best === -1 || room.length < (this.#spare[best] as Uint32Array).length)
      )
        best = i;
    }
    return best === -1 ? undefined : this.#spare.splice(best, 1)[0];
  }
}

/** The most a thread's share may exceed an even one when files are not split. */
const UNEVEN_SHARE = 1.05;

/**
 * Whether the files, whole and taken biggest first by whichever thread has read least, give
 * no thread more than UNEVEN_SHARE times an even share (as the threads take them).
 */
function sharesOutWhole(files: readonly FileJob[], threads: number): boolean {
  const sizes = files.map((f) => Math.max(0, f.end - f.start)).sort((a, b) => b - a);
  const loads = new Array<number>(threads).fill(0);
  for (const size of sizes) {
    const least = loads.indexOf(Math.min(...loads));
    loads[least] = (loads[least] as number) + size;
  }
  const total = sizes.reduce((sum, size) => sum + size, 0);
  return Math.max(...loads) <= (total / threads) * UNEVEN_SHARE;
}

/** Line-aligned ranges of about `target` bytes (one range for a small file). */
async function splitFile(
  job: FileJob,
  target: number,
  window: TimeWindow | undefined,
): Promise<RangeJob[]> {
  const starts = [job.start];
  if (job.end - job.start > target * 1.5) {
    const file = await open(job.path, READ_FLAGS);
    try {
      const probe = Buffer.allocUnsafe(64 << 10);
      for (let nominal = job.start + target; nominal < job.end - target / 2; nominal += target) {
        const next = await nextLineStart(file, probe, nominal, job.end);
        if (next !== null && next > (starts.at(-1) as number) && next < job.end) starts.push(next);
      }
    } finally {
      await file.close();
    }
  }
  return starts.map((start, i) => {
    const last = i === starts.length - 1;
    return {
      path: job.path,
      start,
      end: last ? job.end : (starts[i + 1] as number),
      window,
      unterminated: last ? job.unterminated : "read",
      // A file split in ranges has its digest computed apart (a chain cannot be cut).
      digestOf: starts.length === 1 ? job.digestOf : undefined,
    };
  });
}

async function nextLineStart(
  file: Awaited<ReturnType<typeof open>>,
  probe: Buffer,
  from: number,
  end: number,
): Promise<number | null> {
  for (let position = from; position < end; position += probe.length) {
    const { bytesRead } = await file.read(probe, 0, probe.length, position);
    if (bytesRead === 0) return null;
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    if (newline !== -1) return position + newline + 1;
  }
  return null;
}

/** Reads every range: workers and the main thread each take the next one until none is left. */
async function runRanges(
  ranges: PlannedRange[],
  workerCount: number,
  progress: (bytes: number) => void,
  onRange: (range: PlannedRange) => void,
  rooms: Rooms | null,
  oldSpaceMb: number,
): Promise<void> {
  const queue = [...ranges].sort((a, b) => b.job.end - b.job.start - (a.job.end - a.job.start));
  let next = 0;
  const take = (): PlannedRange | undefined => queue[next++];
  const inMain = async () => {
    for (let range = take(); range; range = take()) {
      range.result = await readRange(range.job, progress, rooms);
      onRange(range);
    }
  };
  const workers = Array.from({ length: Math.max(0, workerCount) }, () => startWorker(oldSpaceMb));
  try {
    await Promise.all([
      inMain(),
      ...workers.map((w) => inWorker(w, take, progress, onRange, rooms)),
    ]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  // A range a worker could not read (it failed to start, say) is read here.
  for (const range of ranges) {
    if (range.read) continue;
    range.result = await readRange(range.job);
    onRange(range);
  }
}

async function inWorker(
  worker: Worker,
  take: () => PlannedRange | undefined,
  progress: (bytes: number) => void,
  onRange: (range: PlannedRange) => void,
  rooms: Rooms | null,
): Promise<void> {
  for (let range = take(); range; range = take()) {
    const room = rooms?.take(range.job.end - range.job.start);
    const reply = await ask(worker, { ...range.job, room }, progress);
    if (reply === null) return; // this range and the rest are left for the main thread
    const tally = LogTally.fromJSON(reply.tally);
    // The run's buffer came whole (transferred): the set may give it to a later range.
    const ids = IdSet.from(reply.ids, true);
    if (tally === null || ids === null) return;
    const digest = isDigest(reply.digest) ? reply.digest : null;
    range.result = { tally, ids, end: reply.end, digest, pass: reply.pass };
    onRange(range);
  }
}

type RangeResultReply = Extract<RangeReply, { tally: unknown }>;

function ask(
  worker: Worker,
  job: RangeJob,
  progress: (bytes: number) => void,
): Promise<RangeResultReply | null> {
  let reported = 0;
  return new Promise((resolve) => {
    const onMessage = (reply: RangeReply) => {
      if ("progress" in reply) {
        reported += reply.progress;
        progress(reply.progress);
        return;
      }
      worker.off("message", onMessage);
      worker.off("error", onError);
      if ("error" in reply) return resolve(null);
      progress(Math.max(0, job.end - job.start - reported));
      resolve(reply);
    };
    const onError = () => {
      worker.off("message", onMessage);
      resolve(null);
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.postMessage(job, job.room === undefined ? [] : [job.room.buffer as ArrayBuffer]);
  });
}

function startWorker(maxOldGenerationSizeMb: number): Worker {
  // A small young generation: the scan allocates little, and V8 would otherwise grow it to
  // tens of MB (measured: peak RSS of a 1M-event report ~10 MB lower, no slower). A bounded
  // old one: a heap that may take gigabytes is let grow to 4x its live size between full
  // collections, and each range's rows (~1 KB a row, garbage once sent) piled up to ~11 MB;
  // under 1 GB, V8 grows it by ~1.6x (peak RSS ~9 MB lower, CPU +1%; a bound of 256 MB gave
  // the same RSS for +3% CPU). The bound is far above what a range holds; a worker that
  // reaches it anyway is ended, and the main thread reads the ranges it had left (runRanges).
  const resourceLimits = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb };
  const worker = startThread("scan-worker", { resourceLimits });
  worker.once("online", holdAfterWorkerStart);
  return worker;
}

/** Reads one range in this thread (with its pass, when the job has one). */
async function readRange(
  job: RangeJob,
  onBytes?: (bytes: number) => void,
  rooms?: Rooms | null,
): Promise<RangeResult> {
  const bytes = job.end - job.start;
  const ids = new IdSet(estimatedIds(bytes), rooms?.take(bytes));
  const pass: RangePass | null =
    job.pass === undefined ? null : await startRangePass(job.pass, job.end - job.start);
  const { tally, end, digest } = await scanRange(job.path, {
    ...job,
    ids,
    onBytes,
    visit: pass === null ? undefined : (f, at, length) => pass.visit(f, at, length),
  });
  return { tally, ids, end, digest, ...(pass !== null && { pass: pass.finish().result }) };
}

/**
 * A file's ranges joined in file order. The id sets are kept apart (no merged copy of a million
 * ids); an id found in two of them means an event repeated across ranges, and then the file is
 * read again in one piece.
 */
async function joinFile(
  job: FileJob,
  ranges: PlannedRange[],
  options: ParallelOptions,
): Promise<FileResult> {
  const parts = ranges.map((r) => r.result as RangeResult);
  const [first, ...rest] = parts;
  if (first === undefined) {
    return { tally: new LogTally(), ids: [], end: job.start, passes: [], digest: null };
  }
  const repeated = rest.some((part, i) =>
    parts.slice(0, i + 1).some((earlier) => earlier.ids.sharesAny(part.ids)),
  );
  if (repeated) {
    const whole = await readRange({ ...job, window: options.window, pass: options.pass });
    const { tally, ids, end, digest } = whole;
    return { tally, ids: [ids], end, passes: [whole.pass], digest };
  }
  const passes = parts.map((p) => p.pass);
  for (const part of rest) first.tally.append(part.tally);
  const end = rest.at(-1)?.end ?? first.end;
  const digest = rest.length === 0 ? first.digest : null;
  return { tally: first.tally, ids: parts.map((p) => p.ids), end, passes, digest };
}
