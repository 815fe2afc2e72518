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
