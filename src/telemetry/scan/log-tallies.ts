import { type FileHandle, open } from "node:fs/promises";
import { malformedLinesWarning } from "../event-line.js";
import type { WarningSink } from "../warnings.js";
import { IdSet, LayeredIdSet } from "./id-set.js";
import { LogTally } from "./log-tally.js";
import { type FileJob, type FileResult, scanFiles } from "./parallel-scan.js";
import { scanRange, type TimeWindow } from "./scan-range.js";
import { type CachedLog, type LogIdentity, loadCachedLog, saveCachedLog } from "./summary-cache.js";

export interface TallyOptions {
  readonly warn: WarningSink;
  /** Only events in this window are summed (the cache is not used with one). */
  readonly window?: TimeWindow | undefined;
  /** `.kittify/cache/` of the project, or null to neither read nor write a cache. */
  readonly cacheDir: string | null;
  readonly threads?: number | undefined;
  readonly minRangeBytes?: number | undefined;
  readonly onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
}

interface OpenLog extends LogIdentity {
  readonly cached: CachedLog | null;
}

/**
 * The tally of each log (in the order given), as the store's full read and the cost engine
 * would make it, with each log's malformed-line warning: read from the cache plus what was
 * appended since, or in full, in parallel. A missing log counts nothing; one that cannot be
 * read is one LOG_UNREADABLE warning and counts nothing.
 */
export async function tallyLogs(
  paths: readonly string[],
  options: TallyOptions,
): Promise<LogTally[]> {
  const useCache = options.cacheDir !== null && options.window === undefined;
  const logs: (OpenLog | null)[] = [];
  try {
    // Opened (and their cache entries read) all at once, so that the waits on the disk overlap.
    const opened = await Promise.allSettled(
      paths.map((path) => openLog(path, useCache ? options.cacheDir : null, options.warn)),
    );
    for (const [i, result] of opened.entries()) {
      if (result.status === "rejected") unreadable(paths[i] as string, result.reason, options.warn);
      logs.push(result.status === "fulfilled" ? result.value : null);
    }
    // Logs with a cache entry have only their appended bytes to read: that is done here, with
    // the ids from the cache. The others are read in full, in parallel.
    const fresh = logs.filter((log): log is OpenLog => log !== null && log.cached === null);
    const jobs: FileJob[] = fresh.map((log) => ({
      path: log.path,
      start: 0,
      end: Number(log.stat.size),
      unterminated: "leave",
    }));
    const cache = useCache ? options : null;
    const finished = new Map<OpenLog, LogTally>();
    // Each log read in full is finished (cached, its ids let go) as soon as it is read.
    await scanFiles(jobs, options, async (i, result) => {
      const log = fresh[i] as OpenLog;
      finished.set(log, await finishLog(log, result, cache, options.window));
    });
    const tallies: LogTally[] = [];
    for (const log of logs) {
      if (log === null) {
        tallies.push(new LogTally());
        continue;
      }
      const tally = finished.get(log) ?? (await finishLog(log, null, cache, options.window));
      tallies.push(tally);
      const warning = malformedLinesWarning(log.path, tally);
      if (warning) options.warn(warning);
    }
    return tallies;
  } finally {
    await Promise.all(logs.map((log) => log?.handle.close()));
  }
}

async function openLog(
  path: string,
  cacheDir: string | null,
  warn: WarningSink,
): Promise<OpenLog | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    unreadable(path, e, warn);
    return null;
  }
  const stat = await handle.stat({ bigint: true });
  if (!stat.isFile()) {
    await handle.close();
    unreadable(
      path,
      Object.assign(new Error("not a file"), { code: stat.isDirectory() ? "EISDIR" : "EINVAL" }),
      warn,
    );
    return null;
  }
  const log = { path, handle, stat };
  return { ...log, cached: cacheDir === null ? null : await loadCachedLog(cacheDir, log) };
}

// One unreadable log (a directory, no permission) must not hide every other feature's costs.
function unreadable(path: string, e: unknown, warn: WarningSink): void {
  const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  warn({ code: "LOG_UNREADABLE", file: path, message: `${path}: not read (${reason})` });
}

/** One log's tally: cached part + appended part (saved to the cache) + an unterminated last line. */
async function finishLog(
  log: OpenLog,
  scanned: FileResult | null,
  cache: TallyOptions | null,
  window: TimeWindow | undefined,
): Promise<LogTally> {
  const size = Number(log.stat.size);
  let tally: LogTally;
  let ids: LayeredIdSet;
  let end: number;
  if (scanned !== null) {
    ({ tally, end } = scanned);
    ids = new LayeredIdSet(scanned.ids, new IdSet(16));
  } else {
    const cached = log.cached as CachedLog;
    ids = new LayeredIdSet(cached.layers);
    const appended = await scanRange(log.path, {
      start: cached.end,
      end: size,
      ids,
      window,
      unterminated: "leave",
    });
    tally = cached.tally;
    tally.append(appended.tally);
    end = appended.end;
  }
  // Nothing appended since the cache was written: it is still exact, leave it as it is.
  const unchanged = log.cached !== null && end === log.cached.end;
  if (cache?.cacheDir && !unchanged) {
    await saveCachedLog(cache.cacheDir, log, {
      end,
      tally,
      layers: ids.layers,
      loaded: log.cached,
      fresh: ids.fresh,
    });
  }
  if (end < size) {
    // A last line without its newline: counted now, but not cached (it may still be growing).
    const tail = await scanRange(log.path, {
      start: end,
      end: size,
      ids,
      window,
      unterminated: "read",
    });
    const whole = new LogTally();
    whole.append(tally);
    whole.append(tail.tally);
    return whole;
  }
  return tally;
}
