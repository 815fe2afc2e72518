import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). Anything but a
 * positive integer throws: a pid that was never printed (`Number("")` is 0) must fail the test,
 * not pass it as "not running".
 */
export function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new Error(`not a process id: ${pid}`);
  }
  try {
    // /proc/<pid>/stat: "pid (comm) STATE ..."; comm may hold spaces, so split after ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is still running after up to `withinMs`: a killed process closes its pipes a
 * moment before the kernel marks it dead, so a check right after the pipes close can race it.
 */
export async function stillRunning(pid: number, withinMs = 2000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < withinMs; ) {
    if (!isRunning(pid)) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return isRunning(pid);
}

/** Polls `check` every 50 ms until it holds; throws after `withinMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  withinMs = 30_000,
): Promise<void> {
  for (const start = Date.now(); !(await check()); ) {
    if (Date.now() - start > withinMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

/**
 * Runs a TypeScript file with tsx in a child Node process and collects its output. With
 * `unprivileged`, root drops to `nobody` first: root ignores file permissions, so a permission
 * test must run as someone else.
 */
export function runTsChild(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; unprivileged?: boolean } = {},
): Promise<ChildRun> {
  return startTsChild(script, args, options).done;
}

/** `runTsChild`, with the child at hand while it runs (to signal it). */
export function startTsChild(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; unprivileged?: boolean } = {},
): { readonly child: ChildProcess; readonly done: Promise<ChildRun & { signal: string | null }> } {
  const dropRoot = options.unprivileged === true && process.getuid?.() === 0;
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: { ...(options.env ?? process.env), ...(dropRoot && { HOME: "/tmp" }) },
    ...(dropRoot && { uid: 65534, gid: 65534 }),
  });
  const done = new Promise<ChildRun & { signal: string | null }>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (exitCode, signal) => resolve({ stdout, stderr, exitCode, signal }));
  });
  return { child, done };
}
