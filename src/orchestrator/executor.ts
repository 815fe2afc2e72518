import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import { OrchestratorError } from "./errors.js";
import { outputPipes, ProcessTree, processStartTime } from "./process-tree.js";

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
  /** How long SIGTERM (or the forwarded signal) has before SIGKILL. */
  readonly killGraceMs?: number;
  /** After the process exits, how long its output pipes may stay open (held by a leftover). */
  readonly drainMs?: number;
  /** How often the process's descendants are looked up while it runs (Linux). */
  readonly pollMs?: number;
  /** Aborting stops the process, forwarding `reason` when it names a signal (else SIGTERM). */
  readonly signal?: AbortSignal;
  /** Called once the process runs, e.g. to leave a pid file. */
  readonly onStarted?: (process: {
    readonly pid: number;
    readonly startTime: string | null;
  }) => void;
}

/** What happened to the process. `exitCode` is null when a signal ended it. */
export interface ProcessOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** The signal an abort forwarded to it, null when it was not interrupted. */
  readonly interrupted: NodeJS.Signals | null;
  /** From the start to its own exit (not the drain after it). */
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

/** The signal an abort forwards: its reason when that names a signal, else SIGTERM. */
function abortSignal(reason: unknown): NodeJS.Signals {
  return typeof reason === "string" && Object.hasOwn(constants.signals, reason)
    ? (reason as NodeJS.Signals)
    : "SIGTERM";
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs a process in its own process group and waits for it. It is done when it exits and its
 * output pipes close, or `drainMs` after it exits when something it left holds them open. On
 * timeout or abort the process and everything it started get SIGTERM (an abort forwards its
 * signal), then SIGKILL after the grace; whatever it left behind when it exits is ended the same
 * way, setsid() descendants included on Linux (`ProcessTree`). A missing executable is an
 * `AGENT_NOT_INSTALLED` error.
 */
export async function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  const isDir = await stat(request.cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new OrchestratorError(
      "WORKING_DIRECTORY_MISSING",
      `working directory ${request.cwd} does not exist`,
    );
  }
  const max = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const grace = request.killGraceMs ?? 2000;
  const drain = request.drainMs ?? 1000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: [request.stdin === null ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const closed = new Promise<void>((r) => child.once("close", () => r()));
    const stdout = new TailBuffer(max);
    const stderr = new TailBuffer(max);
    child.stdout?.on("data", (d: Buffer) => stdout.push(d));
    child.stderr?.on("data", (d: Buffer) => stderr.push(d));
    // An agent that does not read its stdin must not make us fail with EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(request.stdin ?? undefined);
    const pid = child.pid;
    if (pid === undefined) {
      child.on("error", (e: NodeJS.ErrnoException) => reject(spawnError(request.command, e)));
      return;
    }
    const tree = new ProcessTree(pid);
    const pipes = outputPipes(pid);
    request.onStarted?.({ pid, startTime: processStartTime(pid) });
    let timedOut = false;
    let interrupted: NodeJS.Signals | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (signal: NodeJS.Signals) => {
      tree.signalAll(signal);
      killTimer ??= setTimeout(() => tree.signalAll("SIGKILL"), grace);
    };
    const poll = () => void tree.poll();
    poll();
    const pollTimer = setInterval(poll, request.pollMs ?? 100);
    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      stop("SIGTERM");
    }, request.timeoutMs);
    const onAbort = () => {
      interrupted = abortSignal(request.signal?.reason);
      stop(interrupted);
    };
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener("abort", onAbort, { once: true });
    // Once started, an error (a failed kill) changes nothing: the exit still comes.
    child.on("error", () => {});
    child.on("exit", (exitCode, signal) => {
      const exitedAt = performance.now();
      clearTimeout(timeoutTimer);
      clearInterval(pollTimer);
      request.signal?.removeEventListener("abort", onAbort);
      const finish = async () => {
        // What it left in its session or group is ended now; the pipes may still drain meanwhile.
        await tree.sweep([]);
        tree.signalAll("SIGTERM");
        const drained = await Promise.race([
          closed.then(() => true),
          delay(drain).then(() => false),
        ]);
        if (!drained) {
          // Something holds its output open: stop reading, and find it by the pipes it holds.
          child.stdout?.destroy();
          child.stderr?.destroy();
          await tree.sweep(pipes);
          tree.signalAll("SIGTERM");
        }
        if (!(await tree.waitGone(grace))) {
          tree.signalAll("SIGKILL");
          await tree.waitGone(grace);
        }
        clearTimeout(killTimer);
        resolve({
          stdout: stdout.text(),
          stderr: stderr.text(),
          exitCode,
          signal,
          timedOut,
          interrupted,
          durationSeconds: (exitedAt - started) / 1000,
          truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
        });
      };
      finish().catch(reject);
    });
  });
}

function spawnError(command: string, e: NodeJS.ErrnoException): OrchestratorError {
  return e.code === "ENOENT"
    ? new OrchestratorError(
        "AGENT_NOT_INSTALLED",
        `${command} is not installed (not found on PATH)`,
      )
    : new OrchestratorError("AGENT_NOT_STARTED", `${command} could not be started: ${e.message}`);
}
