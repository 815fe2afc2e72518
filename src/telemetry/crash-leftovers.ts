import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CLOCK_FILE } from "./clock-file.js";
import { indexPathFor } from "./log-index.js";

// Temp names: `replaceFile`'s `<name>.<12 hex digits>.tmp`, and write-file-atomic's
// `<name>.<digits>` (earlier versions wrote the clock and index with it).
const TEMP_SUFFIX = /^(?:[0-9a-f]{12}\.tmp|\d+)$/;

/**
 * Removes what a writer killed mid-write leaves beside a log: the temporary files of the clock
 * file and the index, renamed into place on success. Call it only under the log's lock, after
 * taking over from a dead or stale holder: every writer of those files holds the lock, so none
 * of them is a live writer's.
 */
export async function removeCrashLeftovers(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const sidecars = [CLOCK_FILE, basename(indexPathFor(logPath))];
  const names = await readdir(dir).catch(() => []);
  const leftovers = names.filter((name) =>
    sidecars.some(
      (sidecar) =>
        name.startsWith(`${sidecar}.`) && TEMP_SUFFIX.test(name.slice(sidecar.length + 1)),
    ),
  );
  await Promise.all(leftovers.map((name) => rm(join(dir, name), { force: true })));
}
