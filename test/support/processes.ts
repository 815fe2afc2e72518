import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
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
  const dropRoot = options.unprivileged === true && process.getuid?.() === 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      env: { ...(options.env ?? process.env), ...(dropRoot && { HOME: "/tmp" }) },
      ...(dropRoot && { uid: 65534, gid: 65534 }),
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
    child.on("close", (exitCode) => resolve({ stdout, stderr, exitCode }));
  });
}
