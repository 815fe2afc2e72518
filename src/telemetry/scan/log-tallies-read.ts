import { racyStamp } from "../file-stamp.js";
import type { PrefixDigest } from "../log-fingerprint.js";
import { warnLogUnreadable } from "../log-unreadable.js";
import { type IdKey, type IdMemory, IdSet, LayeredIdSet, mayHold } from "./id-set.js";
import { LogTally } from "./log-tally.js";
import { type FileJob, type FileResult, type ParallelOptions, scanFiles } from "./parallel-scan.js";
import { proveQueued } from "./prefix-proof.js";
import { type RollupTarget, saveRollup } from "./report-rollup.js";
import { type RangeOptions, type RangeScan, scanRange, type TimeWindow } from "./scan-range.js";
import {
  type CachedLog,
  type LogIdentity,
  loadCachedLog,
  saveCachedLog,
  tallyToCache,
} from "./summary-cache.js";
import type { StatedLog, TallyOptions } from "./tally-options.js";
import { withYoungGenerationHeld } from "./young-generation.js";

const SAVE_AFTER_BYTES = 256 << 10;

/**
 * Each log's tally (see `tallyLogs`, which opened them; it closes them after): read from the
 * cache plus what was appended since, or in full, in parallel. `rollup`: where the pool is
 * saved as the logs' roll-up when every entry ends up whole under a stamp that is not racy.
 * Loaded only when a report has something to read (a warm one needs none of the scan).
 */
export async function readTallies(
  stated: readonly StatedLog[],
  options: TallyOptions,
  rollup: RollupTarget | null,
): Promise<LogTally[]> {
  const useCache = options.cacheDir !== null && options.window === undefined;
  const logs: (OpenLog | null)[] = [];
  let unreadable = stated.some((log) => log.unreadable);
  for (const { path, file } of stated) {
    if (file === null) {
      logs.push(null);
      continue;
    }
    const log = { path, ...file };
    const cacheDir = useCache ? options.cacheDir : null;
    try {
      logs.push({
        ...log,
        cached: cacheDir === null ? null : await loadCachedLog(cacheDir, log),
      });
    } catch (e) {
      unreadable = true;
      warnLogUnreadable(path, e, options.warn);
      logs.push(null);
    }
  }
  // Logs with a cache entry have only their appended bytes to read: that is done here, with
  // the ids from the cache. The others are read in full, in parallel.
  const fresh = logs.filter((log): log is OpenLog => log !== null && log.cached === null);
  const jobs: FileJob[] = fresh.map((log) => ({
    path: log.path,
    start: 0,
    end: Number(log.stat.size),
    unterminated: "leave",
    // The digest the cache saves, taken from the chunks the scan reads (not read twice).
    digestOf: useCache ? { dev: String(log.stat.dev), ino: String(log.stat.ino) } : undefined,
  }));
  const cache = useCache ? options : null;
  const finished = new Map<OpenLog, LogTally>();
  // Read with a window (rows by period, not cached), every log's rows go into one pool as
  // it is finished: a long history's days times models would otherwise be held once per log.
  // With `keep`, the same, cut down to the fields kept (a window's rows already are).
  const keep = options.window === undefined ? options.keep : undefined;
  const pool = options.window === undefined && keep === undefined ? null : new LogTally();
  // Each log read in full is finished (cached, its ids let go) as soon as it is read.
  // Each result's ids are saved (or let go) within its callback: their memory can be reused.
  await scanFiles(jobs, { ...options, reuseIds: true }, async (i, result) => {
    const log = fresh[i] as OpenLog;
    const tally = await finishLog(log, result, cache, options.window);
    finished.set(log, pool === null ? tally : pooled(tally, pool, keep));
  });
  // What was appended to cached logs is read first, while their prefixes are proven (in
  // another thread). Then each log is finished as soon as its proof holds (they end in any
  // order), and this thread helps with the proofs whenever no log is ready. Held (see
  // young-generation.ts): what is kept meanwhile (every log's rows) made V8 double the main
  // thread's young generation, ~10 MB of peak RSS after an append at 1M events. With nothing
  // to read (every log cached whole, stamps unchanged), nothing is held: node:v8 is not loaded.
  const hold = logs.some((log) => log !== null && !finished.has(log) && !cachedWhole(log));
  const held = hold ? withYoungGenerationHeld : <T>(work: () => Promise<T>) => work();
  const settled = await held(async () => {
    if (cache !== null) {
      for (const log of logs) {
        if (log?.cached && log.cached.end < Number(log.stat.size)) {
          log.appended = await readAppended(log, log.cached, options.window);
        }
      }
    }
    // Pooled as each is finished: the rows are summed alike in any order.
    const finishing = logs.map((log) =>
      log === null || finished.has(log)
        ? null
        : finishLog(log, null, cache, options.window).then((tally) =>
            pool === null ? tally : pooled(tally, pool, keep),
          ),
    );
    await proveQueued();
    // All settled before a failure is passed on: the handles are closed only after.
    return Promise.allSettled(finishing);
  });
  const tallies: LogTally[] = [];
  for (const [i, log] of logs.entries()) {
    if (log === null) {
      tallies.push(new LogTally());
      continue;
    }
    const result = settled[i] as PromiseSettledResult<LogTally | null>;
    if (result.status === "rejected") throw result.reason;
    tallies.push(finished.get(log) ?? (result.value as LogTally));
  }
  // Every log's entry, whole, is one the next report takes as it is (this one took it so, or
  // saved it so): the pool is saved as the roll-up of these logs for the next report.
  const present = logs.filter((log) => log !== null);
  const rollUp =
    rollup !== null &&
    pool !== null &&
    !unreadable &&
    present.length > 0 &&
    present.every(
      (log) => (cachedWhole(log) || log.savedWhole) && !racyStamp(log.stat, log.statAtMs),
    );
  if (rollUp) await saveRollup(rollup.cacheDir, rollup.keep, stated, tallies, pool.rows);
  // The pooled rows are the first log's (the report sums every log's rows alike).
  if (pool !== null && tallies[0] !== undefined) tallies[0].rows.merge(pool.rows);
  return tallies;
}

interface OpenLog extends LogIdentity {
  readonly cached: CachedLog | null;
  /** What was appended since the cache entry, read while its prefix is proven (`readAppended`). */
  appended?: AppendedPart | undefined;
  /** Its entry was saved by this report, whole, under a stamp the next report takes as it is. */
  savedWhole?: boolean | undefined;
}

interface AppendedPart {
  readonly ids: AppendedIds;
  /** Where the part read ends; null when the cached id tables could not be read for it. */
  readonly end: number | null;
}

/** Whether a log is cached up to its end under its current stamp: nothing of it is read. */
function cachedWhole(log: OpenLog): boolean {
  const cached = log.cached;
  return cached !== null && cached.end === Number(log.stat.size) && !cached.restamp;
}

/**
 * The ids an appended part is checked against: the cached ones, known only by their summary
 * until an id could be among them (then `undecided` is set, that id is not added, and the part
 * must be read again with the cached tables loaded), and the ones read since (`fresh`).
 */
class AppendedIds implements IdMemory {
  undecided = false;
  fresh = new IdSet();
  #layers: readonly IdSet[] | null = null;
  readonly #cached: CachedLog;

  constructor(cached: CachedLog) {
    this.#cached = cached;
  }

  add(key: IdKey): boolean {
    if (this.#layers !== null) {
      for (const layer of this.#layers) if (layer.has(key)) return false;
    } else if (mayHold(this.#cached.ids, key)) {
      this.undecided = true;
      return true;
    }
    return this.fresh.add(key);
  }

  /**
   * Loads the cached id tables for a second reading of a part; `again` forgets the ids the
   * first reading added. False when the tables cannot be read.
   */
  async load(again: boolean): Promise<boolean> {
    this.#layers = await this.#cached.loadLayers();
    this.undecided = false;
    if (again) this.fresh = new IdSet();
    return this.#layers !== null;
  }
}

/** Reads a part of a log against the cached ids, loading their tables only if it must. */
async function scanAgainst(
  path: string,
  ids: AppendedIds,
  options: Omit<RangeOptions, "ids">,
): Promise<RangeScan | null> {
  const first = await scanRange(path, { ...options, ids });
  if (!ids.undecided) return first;
  // The unterminated last line read alone added nothing when undecided: no ids to forget.
  if (!(await ids.load(options.unterminated === "leave"))) return null;
  return scanRange(path, { ...options, ids });
}

interface ReadPart {
  readonly tally: LogTally;
  readonly end: number;
  readonly ids: IdMemory;
  /** The ids to add to the cache. */
  readonly fresh: readonly IdSet[];
  readonly loaded: CachedLog | null;
  /** The digest of the first `end` bytes, when the scan took it; else null. */
  readonly digest?: PrefixDigest | null;
}

/**
 * Reads what was appended to a log since its cache entry, and adds its tally to the cached one
 * at once (its rows are let go sooner so): the cached tally is this log's alone, and is let go
 * when its prefix is not proven.
 */
async function readAppended(
  log: OpenLog,
  cached: CachedLog,
  window: TimeWindow | undefined,
): Promise<AppendedPart> {
  const ids = new AppendedIds(cached);
  const range = {
    start: cached.end,
    end: Number(log.stat.size),
    window,
    unterminated: "leave",
  } as const;
  const scan = await scanAgainst(log.path, ids, range);
  if (scan !== null) cached.tally.append(scan.tally);
  return { ids, end: scan?.end ?? null };
}

/** A log's lines up to its last `\n`: cached part + appended part, or all of it. */
async function readTerminated(
  log: OpenLog,
  scanned: FileResult | null,
  options: ParallelOptions,
): Promise<ReadPart> {
  const size = Number(log.stat.size);
  const window = options.window;
  if (scanned !== null) {
    const ids = new LayeredIdSet(scanned.ids, new IdSet(16));
    const { tally, end, digest } = scanned;
    return { tally, end, ids, fresh: scanned.ids, loaded: null, digest };
  }
  const cached = log.cached;
  // Nothing appended since the entry: the log is not opened again (once its prefix is proven).
  if (cached !== null && cached.end === size && (await cached.proven)) {
    return {
      tally: cached.tally,
      end: size,
      ids: new AppendedIds(cached),
      fresh: [],
      loaded: cached,
    };
  }
  if (cached !== null && cached.end < size) {
    // Read while the cached prefix was being proven, used only once it is.
    const { ids, end } = log.appended ?? (await readAppended(log, cached, window));
    log.appended = undefined;
    if (end !== null && (await cached.proven)) {
      return { tally: cached.tally, end, ids, fresh: [ids.fresh], loaded: cached };
    }
  }
  // Its cached prefix changed, or its id tables could not be read: the log is read in full, as
  // one without an entry is (once no thread reads it for a proof: its handle may be closed).
  await cached?.proven;
  const read: FileResult[] = [];
  const job = { path: log.path, start: 0, end: size, unterminated: "leave" } as const;
  await scanFiles([job], options, async (_, result) => void read.push(result));
  const [whole] = read;
  if (whole === undefined) throw new Error(`${log.path} was not read`);
  return readTerminated(log, whole, options);
}

/** One log's tally: what `readTerminated` read (saved to the cache) + an unterminated last line. */
async function finishLog(
  log: OpenLog,
  scanned: FileResult | null,
  cache: TallyOptions | null,
  window: TimeWindow | undefined,
): Promise<LogTally> {
  const size = Number(log.stat.size);
  const part = await readTerminated(log, scanned, cache ?? { window });
  // A small append is cheaper to read again next time than to save (a table and the rows):
  // the entry is rewritten once a log has grown by SAVE_AFTER_BYTES since it was written. When
  // only its stamp is stale, the entry is saved as it was with the log's new stamp, so that the
  // next report need not hash the log again to prove it.
  const { loaded } = part;
  const stale = loaded === null || part.end - loaded.end >= SAVE_AFTER_BYTES;
  if (cache?.cacheDir && stale) {
    const { end, tally, fresh, digest } = part;
    const trusted = await saveCachedLog(cache.cacheDir, log, {
      end,
      tally: tallyToCache(tally),
      loaded,
      fresh,
      digest: digest ?? null,
    });
    log.savedWhole = trusted && end === size;
  } else if (cache?.cacheDir && loaded?.restamp) {
    const trusted = await saveCachedLog(cache.cacheDir, log, {
      end: loaded.end,
      tally: loaded.tallyJson,
      loaded,
      fresh: [],
    });
    log.savedWhole = trusted && loaded.end === size;
  }
  if (part.end === size) return part.tally;
  // A last line without its newline: counted now, but not cached (it may still be growing).
  const options = { start: part.end, end: size, window, unterminated: "read" } as const;
  const tail =
    part.ids instanceof AppendedIds
      ? await scanAgainst(log.path, part.ids, options)
      : await scanRange(log.path, { ...options, ids: part.ids });
  if (tail === null) {
    // The cached tables could not be read to check that line: read the whole log instead.
    const ids = new IdSet();
    return (await scanRange(log.path, { ...options, start: 0, ids })).tally;
  }
  const whole = new LogTally();
  whole.append(part.tally);
  whole.append(tail.tally);
  return whole;
}

/**
 * The tally's rows moved into `pool` (with `keep`, cut down to those key fields); returns its
 * line statistics alone.
 */
function pooled(tally: LogTally, pool: LogTally, keep: number | undefined): LogTally {
  if (keep === undefined) pool.rows.merge(tally.rows);
  else pool.rows.mergeProjected(tally.rows, keep);
  const stats = new LogTally();
  stats.lines = tally.lines;
  stats.skipped = tally.skipped;
  stats.firstSkipped = tally.firstSkipped;
  stats.duplicates = tally.duplicates;
  return stats;
}
