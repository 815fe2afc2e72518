import { createRequire } from "node:module";

// node:v8 is loaded when work is first held: a report that starts no thread (a warm one) does
// not load it.
const load = createRequire(import.meta.url);
function setFlagsFromString(flags: string): void {
  (load("node:v8") as typeof import("node:v8")).setFlagsFromString(flags);
}

/**
 * V8 doubles a thread's young generation (up to 32 MB) each time as many bytes have survived
 * its collections since the last doubling as it holds. A report's scan keeps what it builds
 * (rows, id sets) for a while, so the main thread's young generation grew to its maximum over
 * a cold report and kept it: ~12 MB of a 1M-event report's peak RSS, for no speed (the scan
 * allocates little). While work runs held, the young generation keeps the size it has.
 *
 * `--semi-space-growth-factor` is read each time V8 grows a young generation, so setting it
 * while the process runs takes effect; starting a worker thread sets V8's flags back to Node's,
 * so it is set again once each worker is up (`holdAfterWorkerStart`). A value the user gave
 * Node is left alone.
 */
const GROWTH_FLAG = /semi[-_]space[-_]growth[-_]factor/;
const V8_DEFAULT_GROWTH = 2;

let holders = 0;

function userSetGrowth(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => GROWTH_FLAG.test(a));
}

export async function withYoungGenerationHeld<T>(work: () => Promise<T>): Promise<T> {
  if (userSetGrowth()) return work();
  if (holders++ === 0) setFlagsFromString("--semi-space-growth-factor=1");
  try {
    return await work();
  } finally {
    if (--holders === 0) setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
  }
}

/** To call once a worker thread is online: holds the young generation again if work is held. */
export function holdAfterWorkerStart(): void {
  if (holders > 0) setFlagsFromString("--semi-space-growth-factor=1");
}
