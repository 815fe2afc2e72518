import lockfile from "proper-lockfile";

/** The lock on a log could not be taken or was lost; the operation did not (fully) happen. */
export class LogLockError extends Error {
  readonly code = "LOG_LOCK_FAILED";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LogLockError";
  }
}

// A locked append takes milliseconds, so only a stuck writer makes us wait the whole 30 s;
// a crashed writer's lock goes stale after 10 s and is taken over.
const WAIT_LIMIT_MS = 30_000;
const STALE_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const inProcessQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding an inter-process lock on `target` (a `<target>.lock` folder, so the target
 * need not exist). Callers in one process queue in memory rather than spin on the lock.
 */
export async function withFileLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
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

async function lockAndRun<T>(target: string, fn: () => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  const options = {
    realpath: false,
    stale: STALE_MS,
    // The default throws from a timer, which would crash the host process.
    onCompromised: (err: Error) => {
      compromised = err;
    },
  };
  // Retry only while another writer holds the lock: any other error (a read-only folder, a full
  // disk) fails at once instead of after the whole wait.
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let delay = 1;
  let release: () => Promise<void>;
  for (;;) {
    try {
      release = await lockfile.lock(target, options);
      break;
    } catch (e) {
      const held = (e as NodeJS.ErrnoException).code === "ELOCKED";
      if (!held || Date.now() >= deadline) {
        throw new LogLockError(`could not lock ${target}: ${(e as Error).message}`, { cause: e });
      }
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 1.5, 50);
    }
  }
  let result: T;
  try {
    result = await fn();
  } finally {
    await release().catch(() => undefined);
  }
  // The lock was taken over mid-operation (e.g. the event loop stalled past the stale time).
  if (compromised) {
    throw new LogLockError(`lock on ${target} was lost: ${compromised.message}`, {
      cause: compromised,
    });
  }
  return result;
}
