import type { StatedFile } from "../project-paths.js";
import type { WarningSink } from "../warnings.js";
import type { RolledUpLog } from "./report-rollup.js";
import type { TimeWindow } from "./scan-range.js";

// What `tallyLogs` is asked, and the logs it opened, as it hands them to `readTallies` (loaded
// only when there is something to read).

export interface TallyOptions {
  readonly warn: WarningSink;
  /** Only events in this window are summed (the cache is not used with one). */
  readonly window?: TimeWindow | undefined;
  /** `.kittify/cache/` of the project, or null to neither read nor write a cache. */
  readonly cacheDir: string | null;
  readonly threads?: number | undefined;
  readonly minRangeBytes?: number | undefined;
  readonly onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
  /**
   * The row key fields the caller needs (KEY_FIELD_BITS); given, each log's rows are cut down
   * to them once the log is finished (and cached whole), so that a report holds few rows, not
   * every log's full rows until the last log is read.
   */
  readonly keep?: number | undefined;
}

/** A log as opened: `file` (and `stat`) null when it does not exist or cannot be read. */
export interface StatedLog extends RolledUpLog {
  readonly file: StatedFile | null;
  /** It could not be opened (a LOG_UNREADABLE warning was given). */
  readonly unreadable: boolean;
}
