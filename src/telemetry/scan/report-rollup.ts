import type { BigIntStats } from "node:fs";
import { join, resolve } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { FileStampSchema, fileStamp, sameStamp } from "../file-stamp.js";
import type { UsageRows } from "../usage-rows.js";
import { readCheckedJson, writeCheckedJson } from "./checked-json.js";
import { LogTally } from "./log-tally.js";
import { checkRollup } from "./report-rollup.generated.js";

/**
 * A warm report's one read: the rows of all of a report's logs, pooled and cut down to the key
 * fields it keeps, with each log's line statistics, saved under the stamps of those logs. A
 * report with nothing new otherwise reads every log's cache entry and sums every cached row
 * again (a few thousand rows for 10k events) to the same pool.
 *
 * Saved only by a report after which every log's cache entry covers the whole log under the
 * stamp the report opened it with, that stamp not racy (see summary-cache.ts): the entry was
 * taken as it was, or read and saved so by this report. The pool is then exactly what those
 * entries sum to, and what the next report would sum again. Used only while every log has the stamp saved
 * here (a missing log: still missing), in the same order, for the same key fields: the same
 * condition under which each entry would be used as it is, so it can never change a number. A
 * roll-up that does not read back whole (checksum, schema, counts, rows) is ignored.
 *
 * One file per set of key fields (`report-<keep>.rollup` in `.kittify/cache/`): reports of
 * another scope (other features) replace it.
 */
const VERSION = 1;

/** Generated into report-rollup.generated.ts (scripts/generate-checks.ts). */
export const RollupSchema = Type.Object({
  version: Type.Literal(VERSION),
  /** The key fields kept (KEY_FIELD_BITS). */
  keep: Type.Integer({ minimum: 0, maximum: 127 }),
  /** Each log, in the report's order: its stamp (null: it did not exist) and its statistics. */
  logs: Type.Array(
    Type.Object({
      log: Type.String(),
      stamp: Type.Union([Type.Null(), FileStampSchema]),
      /** The log's LogTally JSON, with no rows. */
      tally: Type.Unknown(),
    }),
  ),
  /** The logs' rows, pooled and cut down to `keep` (PackedRowsJson). */
  rows: Type.Unknown(),
});

const isRollup = (value: unknown): value is Static<typeof RollupSchema> => checkRollup(value);

/** A log of the report, as it was opened: `stat` null when it does not exist. */
export interface RolledUpLog {
  readonly path: string;
  readonly stat: BigIntStats | null;
}

/** Where a report's roll-up is saved: the cache folder, and the key fields the report keeps. */
export interface RollupTarget {
  readonly cacheDir: string;
  readonly keep: number;
}

function rollupFile(keep: number): string {
  return `report-${keep}.rollup`;
}

/**
 * Each log's tally when the roll-up holds these logs under their current stamps: the pooled
 * rows in the first one's, the others with their line statistics only. Else null.
 */
export function loadRollup(
  cacheDir: string,
  keep: number,
  logs: readonly RolledUpLog[],
): LogTally[] | null {
  if (logs.length === 0) return null;
  const data = readCheckedJson(join(cacheDir, rollupFile(keep)));
  if (!isRollup(data) || data.keep !== keep || data.logs.length !== logs.length) return null;
  const tallies: LogTally[] = [];
  for (const [i, log] of logs.entries()) {
    const saved = data.logs[i];
    if (saved === undefined || saved.log !== resolve(log.path)) return null;
    const same =
      log.stat === null
        ? saved.stamp === null
        : saved.stamp !== null && sameStamp(saved.stamp, fileStamp(log.stat));
    if (!same) return null;
    const tally = LogTally.fromJSON(saved.tally);
    if (tally === null) return null;
    tallies.push(tally);
  }
  return tallies[0]?.rows.addPacked(data.rows) ? tallies : null;
}

/**
 * Saves the roll-up of `logs` (see above for when a report may): `tallies` their line
 * statistics (no rows), `rows` their pooled rows. Failing to save loses only speed.
 */
export async function saveRollup(
  cacheDir: string,
  keep: number,
  logs: readonly RolledUpLog[],
  tallies: readonly LogTally[],
  rows: UsageRows,
): Promise<void> {
  try {
    const saved = logs.map((log, i) => ({
      log: resolve(log.path),
      stamp: log.stat === null ? null : fileStamp(log.stat),
      tally: (tallies[i] as LogTally).toJSON(),
    }));
    await writeCheckedJson(cacheDir, rollupFile(keep), {
      version: VERSION,
      keep,
      logs: saved,
      rows: rows.toPacked(),
    });
  } catch {
    // A read-only checkout, a full disk: the next report sums the cache entries again.
  }
}
