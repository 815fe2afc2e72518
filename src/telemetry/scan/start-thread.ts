import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts one of the scan's worker threads, `name` being its module beside this one without an
 * extension. Built, it is the bundle's JS entry. From source (tests, tsx) it is TypeScript, and
 * the thread registers tsx's loader itself before importing it: Node 20 does not apply an
 * `--import tsx` given in a worker's execArgv, and such a worker would fail to start (the
 * scan would then read everything in the main thread, and tests of two threads test one).
 */
export function startThread(name: string, options: WorkerOptions = {}): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const script = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Worker(script, options);
  const viaTsx = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(viaTsx, { ...options, eval: true });
}
