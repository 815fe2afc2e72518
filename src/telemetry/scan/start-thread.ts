import { createRequire } from "node:module";
import type { Worker, WorkerOptions } from "node:worker_threads";

// node:worker_threads is loaded when a thread is first started: a warm report starts none,
// and loading it cost ~4 ms of the ~100 such a report takes.
const load = createRequire(import.meta.url);

/**
 * Starts one of the scan's worker threads, `name` being its module beside this one without an
 * extension. Built, it is the bundle's JS entry. From source (tests, tsx) it is TypeScript, and
 * the thread registers tsx's loader itself before importing it: Node 20 does not apply an
 * `--import tsx` given in a worker's execArgv, and such a worker would fail to start (the
 * scan would then read everything in the main thread, and tests of two threads test one).
 */
export function startThread(name: string, options: WorkerOptions = {}): Worker {
  const { Worker: Thread } = load("node:worker_threads") as typeof import("node:worker_threads");
  const fromSource = import.meta.url.endsWith(".ts");
  const script = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Thread(script, options);
  const viaTsx = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Thread(viaTsx, { ...options, eval: true });
}
