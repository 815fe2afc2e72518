import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import * as Type from "typebox/type";
import { CodedError } from "../events/errors.js";
import { lazyCompile } from "../events/lazy-compile.js";
import { randomUUID } from "./node-crypto.js";

/** Stable codes of a lock failure. */
export type LogLockErrorCode = "LOG_LOCK_FAILED" | "LOG_LOCK_LOST";

/**
 * The lock on a log could not be taken (`LOG_LOCK_FAILED`), or was taken over by another writer
 * before this one wrote (`LOG_LOCK_LOST`); either way nothing was written.
 */
export class LogLockError extends CodedError<LogLockErrorCode> {}

// The holder refreshes its lock every second; one not refreshed for STALE_MS (a paused or hung
// process, or a holder on another host) is taken over. A holder known dead (its pid gone on this
// host) is taken over at once, so a crashed writer costs the next one nothing.
const STALE_MS = 5_000;
const REFRESH_MS = 1_000;
// A holder writes only within LEASE_MS of its last refresh: the rest of STALE_MS is the margin for
// coarse file timestamps, so nobody can have judged the lock stale when it writes.
const LEASE_MS = STALE_MS - 2_000;
// A locked append takes milliseconds: only a stuck writer makes another wait this long.
const WAIT_LIMIT_MS = 30_000;
const OWNER_FILE = "owner";

const OwnerShape = lazyCompile(
  Type.Object({ pid: Type.Integer({ minimum: 1 }), host: Type.String(), token: Type.String() }),
);

/** The lock a writer holds while it runs; ask `assertHeld` right before each write. */
export class HeldLock {
  readonly #dir: string;
  readonly #token: string;
  #refreshedAt: number;
  #timer: NodeJS.Timeout;
  /** The previous holder was dead or stale when this one took the lock over: it may have crashed. */
  readonly tookOver: boolean;

  constructor(dir: string, token: string, refreshedAt: number, tookOver: boolean) {
    this.#dir = dir;
    this.#token = token;
    this.#refreshedAt = refreshedAt;
    this.tookOver = tookOver;
    this.#timer = setInterval(() => this.#refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  /** Whether the lock is still ours and nobody can take it over before a write started now. */
  isHeld(): boolean {
    return Date.now() - this.#refreshedAt < LEASE_MS && this.#isOurs();
  }

  /** Throws `LOG_LOCK_LOST` unless `isHeld()`: synchronous, so call it just before the write. */
  assertHeld(): void {
    if (!this.isHeld()) {
      throw new LogLockError("LOG_LOCK_LOST", `the lock ${this.#dir} was taken over`);
    }
  }

  /** Stops refreshing and removes the lock if it is still ours. */
  release(): void {
    clearInterval(this.#timer);
    if (this.#isOurs()) rmSync(this.#dir, { recursive: true, force: true });
  }

  #isOurs(): boolean {
    return readOwner(this.#dir)?.token === this.#token;
  }

  #refresh(): void {
    const now = Date.now();
    // A refresh after a long pause comes too late: someone may already be taking the lock over.
    if (now - this.#refreshedAt >= LEASE_MS || !this.#isOurs()) return;
    try {
      utimesSync(join(this.#dir, OWNER_FILE), now / 1000, now / 1000);
      this.#refreshedAt = now;
    } catch {
      // The lock was removed meanwhile; the next assertHeld says so.
    }
  }
}

const inProcessQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding an inter-process lock on `target` (a `<target>.lock` folder, so the target
 * need not exist). Callers in one process queue in memory rather than spin on the lock. When
 * `fn` fails with `LOG_LOCK_LOST` (it was paused past the stale time before writing), it runs
 * again under a fresh lock.
 */
export async function withFileLock<T>(
  target: string,
  fn: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  const previous = inProcessQueues.get(target) ?? Promise.resolve();
  const run = previous.then(
    () => lockAndRun(target, fn),
    () => lockAndRun(target, fn),
  );
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  inProcessQueues.set(target, settled);
  try {
    return await run;
  } finally {
    if (inProcessQueues.get(target) === settled) inProcessQueues.delete(target);
  }
}

async function lockAndRun<T>(target: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const lock = await acquire(`${target}.lock`, deadline);
    try {
      return await fn(lock);
    } catch (e) {
      const lost = e instanceof LogLockError && e.code === "LOG_LOCK_LOST";
      if (!lost || Date.now() >= deadline) throw e;
    } finally {
      lock.release();
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the lock folder `dir`, taking over an abandoned one; waits up to `deadline`. */
async function acquire(dir: string, deadline: number): Promise<HeldLock> {
  const token = randomUUID();
  let tookOver = false;
  let delay = 1;
  for (;;) {
    try {
      mkdirSync(dir);
      const now = Date.now();
      const owner = { pid: process.pid, host: hostname(), token };
      try {
        writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return new HeldLock(dir, token, now, tookOver);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Anything but a held lock (a read-only folder, a full disk) fails at once.
      if (code !== "EEXIST") {
        throw new LogLockError("LOG_LOCK_FAILED", `could not lock ${dir}: ${describe(e)}`);
      }
    }
    if (isAbandoned(dir)) {
      // Removing it races only with other takers; whoever's token ends up in it owns it.
      rmSync(dir, { recursive: true, force: true });
      tookOver = true;
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LogLockError("LOG_LOCK_FAILED", `could not lock ${dir}: held by another writer`);
    }
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 1.5, 50);
  }
}

/** A lock whose holder is dead on this host, or has not refreshed it for STALE_MS. */
function isAbandoned(dir: string): boolean {
  const owner = readOwner(dir);
  if (owner && owner.host === hostname() && !processExists(owner.pid)) return true;
  try {
    // A lock without an owner file is being created, or its holder died before writing it (or
    // is an older version's, which used proper-lockfile and held it for milliseconds).
    const refreshed = statSync(owner ? join(dir, OWNER_FILE) : dir).mtimeMs;
    return Date.now() - refreshed > STALE_MS;
  } catch {
    return false; // released meanwhile: try again
  }
}

function readOwner(dir: string): { pid: number; host: string; token: string } | null {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8"));
  } catch {
    return null;
  }
  return OwnerShape.Check(data) ? data : null;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
