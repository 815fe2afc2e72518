import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { runTsChild } from "./processes.js";

export interface WorkerResult {
  readonly saved: number;
  readonly warnings: ReadonlyArray<{ code: string; message: string }>;
  readonly exitCode: number | null;
  readonly stderr: string;
}

const FIXTURES = join(import.meta.dirname, "..", "telemetry", "fixtures");

/** Runs the emit worker in its own Node process; `unprivileged` drops root to `nobody`. */
export function runEmitWorker(
  args: readonly string[],
  options: { readonly unprivileged?: boolean } = {},
): Promise<WorkerResult> {
  return runWorker(join(FIXTURES, "emit-worker.ts"), args, options);
}

/** Runs the save worker (saves every event of a JSONL file into a log) in its own process. */
export function runSaveWorker(eventsFile: string, logPath: string): Promise<WorkerResult> {
  return runWorker(join(FIXTURES, "save-worker.ts"), [eventsFile, logPath], {});
}

async function runWorker(
  script: string,
  args: readonly string[],
  options: { readonly unprivileged?: boolean },
): Promise<WorkerResult> {
  const { stdout, stderr, exitCode } = await runTsChild(script, args, options);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return { ...JSON.parse(last), exitCode, stderr };
  } catch {
    throw new Error(`worker printed no result (exit ${exitCode}): ${stderr}`);
  }
}

/** Makes `dir` and its parents traversable by other users (mkdtemp makes them private). */
export async function openToOthers(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => chmod(d, 0o755)));
}
