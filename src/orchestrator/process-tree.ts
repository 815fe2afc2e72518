import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";

// Node cannot make us a child subreaper (prctl PR_SET_CHILD_SUBREAPER needs a native addon) and
// a cgroup is writable only by root or under a delegating systemd: so on Linux the agent's
// process tree is followed through /proc while it runs. Elsewhere only its process group is.

/** Whether this system has a Linux-style /proc to follow processes through. */
const HAS_PROC = existsSync("/proc/self/stat");

/** One process as `/proc/<pid>/stat` shows it; `startTime` tells a reused pid apart. */
interface ProcStat {
  readonly pid: number;
  readonly zombie: boolean;
  readonly pgrp: number;
  readonly session: number;
  /** Clock ticks after boot (field 22): with the pid, names one process for the boot's life. */
  readonly startTime: string;
}

function parseStat(pid: number, text: string): ProcStat | null {
  // "pid (comm) S ppid pgrp session ...": comm may hold spaces and parentheses, so split after
  // the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, , pgrp, session] = fields;
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return null;
  return { pid, zombie: state === "Z", pgrp: Number(pgrp), session: Number(session), startTime };
}

async function readStat(pid: number): Promise<ProcStat | null> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return text === null ? null : parseStat(pid, text);
}

function readStatSync(pid: number): ProcStat | null {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** When `pid` started (ticks after boot), or null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  return HAS_PROC ? (readStatSync(pid)?.startTime ?? null) : null;
}

/**
 * Whether the process that had `pid` and `startTime` still runs: a zombie is dead, and so is a
 * pid now worn by another process. Without /proc only the pid can be checked.
 */
export function isProcessAlive(pid: number, startTime: string | null): boolean {
  if (!HAS_PROC) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  const stat = readStatSync(pid);
  return stat !== null && !stat.zombie && (startTime === null || stat.startTime === startTime);
}

/**
 * What a process's stdout and stderr are connected to, as /proc names it: `socket:[inode]` for
 * Node's stdio pipes (socket pairs), `pipe:[inode]` for others. Whoever holds the same is
 * holding our output open.
 */
export function outputPipes(pid: number): string[] {
  if (!HAS_PROC) return [];
  return [1, 2].flatMap((fd) => {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return /^(pipe|socket):\[\d+\]$/.test(link) ? [link] : [];
    } catch {
      return [];
    }
  });
}

async function numericEntries(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((): string[] => []);
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

async function childrenOf(pid: number): Promise<number[]> {
  const threads = await numericEntries(`/proc/${pid}/task`);
  const lists = await Promise.all(
    threads.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, "utf8").catch(() => "")),
  );
  return lists.flatMap((list) => list.split(" ").filter(Boolean).map(Number));
}

/**
 * Everything an agent started, followed while it runs: its descendants (looked up by `poll`,
 * setsid() ones included), and, swept up at the end, whatever is left in a session or process
 * group they had or holds the agent's output pipes. Each process is kept with its start time, so
 * a pid reused by an unrelated process is never signalled.
 */
export class ProcessTree {
  private readonly root: number;
  private readonly tracked = new Map<number, string | null>();
  /** The sessions and process groups of tracked processes (the agent's own first). */
  private readonly groups = new Set<number>();

  constructor(root: number) {
    this.root = root;
    this.tracked.set(root, processStartTime(root));
    this.groups.add(root);
  }

  private track(stat: ProcStat): void {
    if (stat.pid === process.pid || this.tracked.has(stat.pid)) return;
    this.tracked.set(stat.pid, stat.startTime);
    this.groups.add(stat.pgrp);
    this.groups.add(stat.session);
  }

  private polling = false;

  /** Adds the descendants of every tracked process that still runs. */
  async poll(): Promise<void> {
    // A slow look (a loaded machine) is not overtaken by the next one.
    if (!HAS_PROC || this.polling) return;
    this.polling = true;
    await this.walk().finally(() => {
      this.polling = false;
    });
  }

  private async walk(): Promise<void> {
    const queue = [...this.tracked.keys()];
    const walked = new Set<number>();
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      if (walked.has(pid) || !isProcessAlive(pid, this.tracked.get(pid) ?? null)) continue;
      walked.add(pid);
      for (const child of await childrenOf(pid)) {
        const stat = this.tracked.has(child) ? null : await readStat(child);
        if (stat !== null && !stat.zombie) this.track(stat);
        queue.push(child);
      }
    }
  }

  /**
   * Scans every process: adds those in a tracked session or group (orphans keep them when their
   * parent dies) and, when `pipes` are given, those holding one of them; then their descendants.
   */
  async sweep(pipes: readonly string[]): Promise<void> {
    if (!HAS_PROC) return;
    const pids = (await numericEntries("/proc")).filter((pid) => pid !== process.pid);
    if (pipes.length > 0) {
      for (const pid of pids) {
        const fds = await numericEntries(`/proc/${pid}/fd`);
        const links = await Promise.all(
          fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")),
        );
        const stat = links.some((l) => pipes.includes(l)) ? await readStat(pid) : null;
        if (stat !== null && !stat.zombie) this.track(stat);
      }
    }
    for (const pid of pids) {
      const stat = await readStat(pid);
      if (
        stat !== null &&
        !stat.zombie &&
        (this.groups.has(stat.session) || this.groups.has(stat.pgrp))
      ) {
        this.track(stat);
      }
    }
    await this.walk();
  }

  /** The tracked processes that still run. */
  alive(): number[] {
    const alive = [...this.tracked].filter(([pid, start]) => isProcessAlive(pid, start));
    // Without /proc, what is left in the agent's group is all we can see.
    const groupLeft = !HAS_PROC && signalTarget(-this.root, 0);
    return [...alive.map(([pid]) => pid), ...(groupLeft ? [-this.root] : [])];
  }

  /** Sends `signal` to the agent's process group and to every tracked process still running. */
  signalAll(signal: NodeJS.Signals): void {
    // Once the agent is gone its group id may be reused; on Linux its members are tracked anyway.
    if (!HAS_PROC || isProcessAlive(this.root, this.tracked.get(this.root) ?? null)) {
      signalTarget(-this.root, signal);
    }
    for (const [pid, start] of this.tracked) {
      if (isProcessAlive(pid, start)) signalTarget(pid, signal);
    }
  }

  /** Waits until nothing tracked runs, up to `withinMs`; whether that happened. */
  async waitGone(withinMs: number): Promise<boolean> {
    for (const start = performance.now(); performance.now() - start < withinMs; ) {
      if (this.alive().length === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.alive().length === 0;
  }
}

function signalTarget(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    // ESRCH: already gone.
    return false;
  }
}
