import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { OrchestratorError } from "./errors.js";

/** One process to run. The prompt goes to stdin when `stdin` is not null. */
export interface ProcessRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly stdin: string | null;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  /** Per stream; beyond it the oldest output is dropped (the final records are at the end). */
  readonly maxOutputBytes?: number;
  /** How long SIGTERM has before SIGKILL. */
  readonly killGraceMs?: number;
}

/** What happened to the process. `exitCode` is null when a signal ended it. */
export interface ProcessOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationSeconds: number;
  readonly truncated: { readonly stdout: boolean; readonly stderr: boolean };
}

const DEFAULT_MAX_OUTPUT = 32 * 1024 * 1024;

/** Keeps the last `max` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly max: number;
  truncated = false;

  constructor(max: number) {
    this.max = max;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * Runs a process in its own process group and waits for it. On timeout the whole group gets
 * SIGTERM, then SIGKILL; when the leader exits, whatever it left behind in its group is ended
 * too, so no grandchild outlives the invocation. A missing executable is an
 * `AGENT_NOT_INSTALLED` error.
 */
export async function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  const isDir = await stat(request.cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`working directory ${request.cwd} does not exist`);
  const max = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const grace = request.killGraceMs ?? 2000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: [request.stdin === null ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const stdout = new TailBuffer(max);
    const stderr = new TailBuffer(max);
    let timedOut = false;
    let exitedAt: number | undefined;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const terminate = () => {
      killGroup("SIGTERM");
      timers.push(setTimeout(() => killGroup("SIGKILL"), grace));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        terminate();
      }, request.timeoutMs),
    );
    child.stdout?.on("data", (d: Buffer) => stdout.push(d));
    child.stderr?.on("data", (d: Buffer) => stderr.push(d));
    // An agent that does not read its stdin must not make us fail with EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(request.stdin ?? undefined);
    child.on("error", (e: NodeJS.ErrnoException) => {
      for (const t of timers) clearTimeout(t);
      reject(
        e.code === "ENOENT"
          ? new OrchestratorError(
              "AGENT_NOT_INSTALLED",
              `${request.command} is not installed (not found on PATH)`,
            )
          : e,
      );
    });
    child.on("exit", () => {
      exitedAt = performance.now();
      // Leftovers of the agent (a stray server, a hung tool) would hold the pipes open.
      terminate();
    });
    child.on("close", (exitCode, signal) => {
      for (const t of timers) clearTimeout(t);
      killGroup("SIGKILL");
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode,
        signal,
        timedOut,
        durationSeconds: ((exitedAt ?? performance.now()) - started) / 1000,
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
      });
    });
  });
}
