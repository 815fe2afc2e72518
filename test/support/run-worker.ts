import { spawn } from "node:child_process";
import { chmod } from "node:fs/promises";
import { join } from "node:path";

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

function runWorker(
  script: string,
  args: readonly string[],
  options: { readonly unprivileged?: boolean },
): Promise<WorkerResult> {
  // Root ignores file permissions, so a permission test must run as someone else.
  const dropRoot = options.unprivileged === true && process.getuid?.() === 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(dropRoot && { uid: 65534, gid: 65534, env: { ...process.env, HOME: "/tmp" } }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (exitCode) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve({ ...JSON.parse(last), exitCode, stderr });
      } catch {
        reject(new Error(`worker printed no result (exit ${exitCode}): ${stderr}`));
      }
    });
  });
}

/** Makes `dir` and its parents traversable by other users (mkdtemp makes them private). */
export async function openToOthers(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => chmod(d, 0o755)));
}
