// npm run bench: medians of one run, as ratios. See bench/README.md for the last measured table.
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitExecutionEvent } from "../src/telemetry/emit.js";
import { SimpleJsonStore } from "../src/telemetry/json-store.js";
import { generateLog } from "./generate.js";

const SIZE = Number(process.env.BENCH_EVENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const quiet = { warn: () => undefined };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function medianOf(runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeMs(() => fn(i)));
  return median(times);
}

async function interleavedMedians(
  runs: number,
  fns: ((i: number) => Promise<unknown>)[],
): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) times[k]?.push(await timeMs(() => fn(i)));
  }
  return times.map(median);
}

/** The parse floor: read in 1 MiB chunks, split on newlines, JSON.parse every line. */
async function parseFloor(path: string): Promise<number> {
  const file = await open(path, "r");
  const buffer = Buffer.allocUnsafe(1 << 20);
  let carry = "";
  let parsed = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    const lines = (carry + buffer.toString("utf8", 0, bytesRead)).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      try {
        JSON.parse(line);
        parsed++;
      } catch {}
    }
  }
  await file.close();
  return parsed;
}

const root = await mkdtemp(join(tmpdir(), "spec-kitty-bench-"));
try {
  const bigDir = join(root, "big", "kitty-specs", "043-bench");
  const bigLog = join(bigDir, "execution.events.jsonl");
  process.stderr.write(`generating ${SIZE} events...\n`);
  await generateLog(bigLog, SIZE);

  const emitInto = (dir: string) =>
    emitExecutionEvent(dir, "043-bench", "WP01", "claude", "implementer", {
      inputTokens: 10,
      ...quiet,
    });
  // Warm the index once, as any earlier emit would have.
  await emitInto(bigDir);

  const rows: [string, number][] = [];
  rows.push([
    `parse floor: JSON.parse every line of the ${SIZE}-event log`,
    await medianOf(5, () => parseFloor(bigLog)),
  ]);
  rows.push([
    `full read: SimpleJsonStore.read() of the ${SIZE}-event log`,
    await medianOf(5, () => new SimpleJsonStore(bigLog, quiet).read()),
  ]);

  const smallDir = join(root, "small", "kitty-specs", "043-bench");
  await generateLog(join(smallDir, "execution.events.jsonl"), SIZE / 10);
  await emitInto(smallDir);
  // Interleaved round-robin, so that machine noise falls on every size alike.
  const [emptyEmit = Number.NaN, smallEmit = Number.NaN, bigEmit = Number.NaN] =
    await interleavedMedians(RUNS, [
      (i) => emitInto(join(root, `empty-${i}`, "043-bench")),
      () => emitInto(smallDir),
      () => emitInto(bigDir),
    ]);
  rows.push(["emitExecutionEvent, fresh store, into an empty log", emptyEmit]);
  rows.push([`emitExecutionEvent, fresh store, into a ${SIZE / 10}-event log`, smallEmit]);
  rows.push([`emitExecutionEvent, fresh store, into the ${SIZE}-event log`, bigEmit]);

  // A re-save of an event from long ago falls back to one scan of the log (rare: imports, retries).
  const { events } = await new SimpleJsonStore(bigLog, quiet).read();
  // Near the end of the log but below the index's window: the scan reads almost every line.
  const old = events[events.length - 1000];
  if (!old) throw new Error("generated log is empty");
  rows.push([
    `saveEvent of an old id (fallback scan of ${SIZE} events)`,
    await medianOf(5, () => new SimpleJsonStore(bigLog, quiet).saveEvent(old)),
  ]);
  const noIndexDir = join(root, "no-index");
  await cp(bigDir, noIndexDir, { recursive: true });
  await rm(join(noIndexDir, ".execution.events.jsonl.index.json"));
  rows.push([
    `first emit with no index beside the ${SIZE}-event log (one-off rebuild)`,
    await timeMs(() => emitInto(noIndexDir)),
  ]);

  // Whole process: node startup + import + one emit, from the built library.
  const dist = join(import.meta.dirname, "..", "dist", "index.js");
  const script = `import(${JSON.stringify(dist)}).then((m) => m.emitExecutionEvent(process.argv[1], "043-bench", "WP01", "claude", "implementer"))`;
  const processEmit = (dir: string) => execFileSync(process.execPath, ["-e", script, dir]);
  const [processEmpty = Number.NaN, processBig = Number.NaN] = await interleavedMedians(RUNS, [
    async (i) => processEmit(join(root, `proc-empty-${i}`, "043-bench")),
    async () => processEmit(bigDir),
  ]);
  rows.push(["emit, whole process, into an empty log", processEmpty]);
  rows.push([`emit, whole process, into the ${SIZE}-event log`, processBig]);

  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(
    `\n| ${"measure".padEnd(width)} | median ms |\n|${"-".repeat(width + 2)}|----------:|\n`,
  );
  for (const [name, ms] of rows)
    process.stdout.write(`| ${name.padEnd(width)} | ${ms.toFixed(2).padStart(9)} |\n`);
  process.stdout.write(
    `\nratios: in-process emit big/empty = ${(bigEmit / emptyEmit).toFixed(2)}x; ` +
      `whole-process emit big/empty = ${(processBig / processEmpty).toFixed(2)}x; ` +
      `full read / parse floor = ${((rows[1]?.[1] ?? 0) / (rows[0]?.[1] ?? 1)).toFixed(2)}x\n`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
