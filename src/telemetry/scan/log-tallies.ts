import { realpath } from "node:fs/promises";
import { warnLogUnreadable } from "../log-unreadable.js";
import { malformedLinesWarning } from "../malformed-lines.js";
import { openStatForRead, projectRootOf } from "../project-paths.js";
import type { WarningSink } from "../warnings.js";
import type { LogTally } from "./log-tally.js";
import { loadRollup } from "./report-rollup.js";
import type { StatedLog, TallyOptions } from "./tally-options.js";

/**
 * The tally of each log (in the order given), as the store's full read and the cost engine
 * would make it, with each log's malformed-line warning: from the report's roll-up when no log
 * changed (report-rollup.ts; with `keep`, the pooled rows in the first tally), else from the
 * cache plus what was appended since, or in full, in parallel. A missing log counts nothing;
 * one that cannot be read is one LOG_UNREADABLE warning and counts nothing.
 */
export async function tallyLogs(
  paths: readonly string[],
  options: TallyOptions,
): Promise<LogTally[]> {
  const useCache = options.cacheDir !== null && options.window === undefined;
  let stated: StatedLog[] = [];
  try {
    // Opened all at once, so that the waits on the disk overlap. Each project's real path
    // resolved once (most reports: one project, many logs).
    const realRoots = new Map<string, Promise<string>>();
    const realRootOf = (root: string) => () => {
      let real = realRoots.get(root);
      if (real === undefined) {
        real = realpath(root);
        realRoots.set(root, real);
      }
      return real;
    };
    const opened = await Promise.allSettled(
      paths.map((path) => {
        const root = projectRootOf(path);
        // Only a regular file inside the project: a FIFO, a device or a symlink out is refused.
        return openStatForRead(path, root, realRootOf(root));
      }),
    );
    stated = opened.map((result, i) => {
      const path = paths[i] as string;
      if (result.status === "fulfilled") {
        return { path, file: result.value, stat: result.value?.stat ?? null, unreadable: false };
      }
      warnLogUnreadable(path, result.reason, options.warn);
      return { path, file: null, stat: null, unreadable: true };
    });
    // Nothing new anywhere: every log's rows, already pooled, in one file (report-rollup.ts).
    const rollup =
      useCache && options.keep !== undefined && !stated.some((log) => log.unreadable)
        ? { cacheDir: options.cacheDir as string, keep: options.keep }
        : null;
    const rolledUp = rollup && loadRollup(rollup.cacheDir, rollup.keep, stated);
    if (rolledUp) return withWarnings(paths, rolledUp, options.warn);
    // Something to read: the scan is loaded only now (a warm report needs none of it).
    const { readTallies } = await import("./log-tallies-read.js");
    return withWarnings(paths, await readTallies(stated, options, rollup), options.warn);
  } finally {
    await Promise.all(stated.map((log) => log.file?.handle.close()));
  }
}

/** The tallies, once each log's malformed-line warning is given. */
function withWarnings(paths: readonly string[], tallies: LogTally[], warn: WarningSink) {
  for (const [i, tally] of tallies.entries()) {
    const warning = malformedLinesWarning(paths[i] as string, tally);
    if (warning) warn(warning);
  }
  return tallies;
}
