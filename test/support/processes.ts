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
