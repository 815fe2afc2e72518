import { join } from "node:path";
import {
  CostAccumulator,
  type CostGroup,
  type GroupByKey,
  parseGroupBy,
  periodUnitOf,
  type RateResolver,
} from "./cost.js";
import {
  type EventFilter,
  type ParsedFilter,
  parseFilter,
  UNKNOWN_ORIGIN,
} from "./event-filter.js";
import { listFeatureDirs } from "./features.js";
import { FieldValues, type FilterHint, mayHint } from "./filter-hints.js";
import { assertFolderInside, EVENT_LOG_FILE } from "./project-paths.js";
import { tallyLogs } from "./scan/log-tallies.js";
import {
  KEY_FIELD_BITS,
  type MaskableKeyField,
  type UsageRow,
  type UsageRowKey,
} from "./usage-rows.js";
import type { WarningSink } from "./warnings.js";

/** What to report on: the project, its features, and which of their execution events. */
export interface ReportScope {
  readonly repoRoot: string;
  /** A feature folder prefix or glob; all features when absent. */
  readonly feature?: string | undefined;
  /** Further conditions (parsed or not); the event type is always `ExecutionEvent`. */
  readonly filter?: Omit<EventFilter, "eventType"> | Omit<ParsedFilter, "eventType">;
  readonly warn: WarningSink;
  /** The IANA zone of day, week and month groups; default UTC. */
  readonly timeZone?: string | undefined;
}

export interface CostReport {
  readonly groups: CostGroup[];
  /** Features selected (0 with a `feature` pattern means it matched nothing). */
  readonly featureCount: number;
  /** Each field filter whose value no event in scope (features, time) has, with those they have. */
  readonly hints: readonly FilterHint[];
}

export interface CostReportOptions {
  /** Keep and use `.kittify/cache/` (default true); reports are the same either way. */
  readonly cache?: boolean | undefined;
  /** Threads to read with, the main one included; default: the available parallelism. */
  readonly threads?: number | undefined;
  /** Less than this many bytes of logs in all are read by one thread, and no range is smaller; default 8 MiB. */
  readonly minRangeBytes?: number | undefined;
  /** Bytes read so far and in all, as the scan goes (for a progress indicator). */
  readonly onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
}

/**
 * The cost report of a project's execution events. Logs are summed into usage rows (read in
 * parallel, or taken from the cache plus what was appended), then rolled up into groups: the
 * same groups, to the pico-dollar, as costing every event one by one.
 */
export async function costReport(
  scope: ReportScope,
  groupBy: readonly GroupByKey[] | string,
  pricing: RateResolver,
  options: CostReportOptions = {},
): Promise<CostReport> {
  const keys = typeof groupBy === "string" ? parseGroupBy(groupBy) : groupBy;
  // Parsed once, before any file is read (a bad date bound fails alone).
  const filter = parseFilter(scope.filter);
  // Grouped by time, rows are kept apart by the events' period in the zone: such rows are not
  // cached (like a window's), so the logs are read in full (in parallel).
  const unit = periodUnitOf(keys);
  const period = unit === undefined ? undefined : { zone: scope.timeZone ?? "UTC", unit };
  const window =
    filter.sinceMicros === undefined && filter.untilMicros === undefined && period === undefined
      ? undefined
      : {
          since: filter.sinceMicros,
          until: filter.untilMicros,
          period,
          keep: keptFields(keys, filter),
        };
  const features = await listFeatureDirs(scope.repoRoot, {
    pattern: scope.feature,
    warn: scope.warn,
  });
  // A WP id is a feature's own: unless one feature is chosen, `wp` groups are per feature.
  const wpByFeature = !(scope.feature !== undefined && features.length === 1);
  const tallies = await tallyLogs(
    features.map(({ dir }) => join(dir, EVENT_LOG_FILE)),
    {
      warn: scope.warn,
      window,
      cacheDir: options.cache === false ? null : await cacheDirOf(scope.repoRoot, scope.warn),
      threads: options.threads,
      minRangeBytes: options.minRangeBytes,
      onProgress: options.onProgress,
      keep: keptFields(keys, filter),
    },
  );
  // One row at a time: rows the cache keeps packed are decoded as they are summed, never all held.
  const rows = (function* () {
    for (const tally of tallies) yield* tally.rows;
  })();
  return {
    // The zone passed on unread: a report not grouped by time never needs it.
    ...rollUpRows(rows, keys, filter, pricing, {
      get timeZone() {
        return scope.timeZone;
      },
      wpByFeature,
    }),
    featureCount: features.length,
  };
}

/**
 * The report's groups from usage rows in scope (features and time already chosen; the field
 * filters are applied here), and the hints for field values that match nothing. One roll-up
 * for every source of rows: the logs (with or without the cache) and the PostgreSQL team store.
 */
export function rollUpRows(
  rows: Iterable<UsageRow>,
  keys: readonly GroupByKey[],
  filter: ParsedFilter,
  pricing: RateResolver,
  options: RollUpOptions,
): Pick<CostReport, "groups" | "hints"> {
  const rollUp = new RowRollUp(keys, filter, pricing, options);
  rollUp.add(rows);
  return rollUp.result();
}

export interface RollUpOptions {
  readonly timeZone?: string | undefined;
  readonly wpByFeature: boolean;
}

/**
 * rollUpRows fed its rows in several goes (a parallel scan's as each log is read): the same
 * groups whatever the rows' order and however they are cut, their sums being exact.
 */
export class RowRollUp {
  readonly #acc: CostAccumulator;
  readonly #filter: ParsedFilter;
  readonly #matches: (row: UsageRowKey) => boolean;
  readonly #values = new FieldValues();
  // Values are gathered for hints only, and only a field filter has any.
  readonly #hinting: boolean;

  constructor(
    keys: readonly GroupByKey[],
    filter: ParsedFilter,
    pricing: RateResolver,
    options: RollUpOptions,
  ) {
    this.#acc = new CostAccumulator(keys, pricing, options);
    this.#filter = filter;
    this.#matches = compileRowFilter(filter);
    this.#hinting = mayHint(filter);
  }

  add(rows: Iterable<UsageRow>): void {
    for (const row of rows) {
      if (this.#hinting)
        this.#values.add({ ...row.key, model: row.key.eventModel, source: row.key.source });
      if (this.#matches(row.key)) this.#acc.addRow(row);
    }
  }

  result(): Pick<CostReport, "groups" | "hints"> {
    return { groups: this.#acc.groups(), hints: this.#values.hints(this.#filter) };
  }
}

/**
 * The row key fields a report read without the cache needs: those it groups or filters by
 * (fewer rows, the same sums; rows kept apart by period would otherwise be many).
 */
export function keptFields(keys: readonly GroupByKey[], filter: ParsedFilter): number {
  const fields = new Set<MaskableKeyField>();
  for (const key of keys) {
    if (key === "feature" || key === "wp") fields.add("aggregateId"); // wp: FEATURE/WP keys
    if (key === "agent") fields.add("agent");
    if (key === "role") fields.add("role");
    if (key === "wp") fields.add("wpId");
    if (key === "source") fields.add("source");
  }
  if (filter.agent !== undefined) fields.add("agent");
  if (filter.model !== undefined) fields.add("eventModel");
  if (filter.role !== undefined) fields.add("role");
  if (filter.wpId !== undefined) fields.add("wpId");
  if (filter.success !== undefined) fields.add("success");
  if (filter.origin !== undefined) fields.add("source");
  let mask = 0;
  for (const field of fields) mask |= KEY_FIELD_BITS[field];
  return mask;
}

/** Where reports keep their cache, relative to the project root (safe to delete, never commit). */
export const CACHE_DIR = join(".kittify", "cache");

/** The project's cache folder, or null (one warning) when it leads outside the project. */
async function cacheDirOf(repoRoot: string, warn: WarningSink): Promise<string | null> {
  const dir = join(repoRoot, CACHE_DIR);
  try {
    await assertFolderInside(dir, repoRoot);
    return dir;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    warn({
      code: "CACHE_OUTSIDE_PROJECT",
      file: dir,
      message: `${message}; reading without the cache`,
    });
    return null;
  }
}

/** The field conditions of a filter, on usage rows (time is applied while reading). */
function compileRowFilter(filter: ParsedFilter): (row: UsageRowKey) => boolean {
  const checks: ((row: UsageRowKey) => boolean)[] = [];
  const { wpId, agent, model, role, success, origin } = filter;
  if (wpId !== undefined) checks.push((row) => row.wpId === wpId);
  if (agent !== undefined) checks.push((row) => row.agent === agent);
  // The event's own model: a filter selects whole events, whose models' shares all count.
  if (model !== undefined) checks.push((row) => row.eventModel === model);
  if (role !== undefined) checks.push((row) => row.role === role);
  if (success !== undefined) checks.push((row) => row.success === success);
  if (origin !== undefined) {
    const sources = new Set(origin.map((o) => (o === UNKNOWN_ORIGIN ? null : o)));
    checks.push((row) => sources.has(row.source));
  }
  return (row) => checks.every((check) => check(row));
}
