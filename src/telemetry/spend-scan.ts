import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Event } from "../events/event.js";
import { isInvalid } from "../events/event.js";
import { type CostKind, eventCost, type RateResolver } from "./cost.js";
import { type ParsedFilter, UNKNOWN_ORIGIN } from "./event-filter.js";
import { cleanLine, malformedLinesWarning, readEventLine } from "./event-line.js";
import { listFeatureDirs } from "./features.js";
import { warnLogUnreadable } from "./log-unreadable.js";
import type { PicoUsd } from "./money.js";
import { firstUnitFor, type JoinedPeriods, type PeriodChoice, PeriodPool } from "./period-rows.js";
import type { PricingEntry } from "./pricing-table.js";
// From project-paths.js, not emit.js: the emitter's modules (and node:crypto's ES module view,
// ~25 ms) are not loaded by a read.
import { EVENT_LOG_FILE, openForRead, READ_FLAGS } from "./project-paths.js";
import { IdKey } from "./scan/id-set.js";
import { type FileJob, scanFiles } from "./scan/parallel-scan.js";
import { registerRangePass } from "./scan/range-pass.js";
import {
  compareTop,
  createRangePass,
  ID_WORDS,
  type InvocationColumns,
  idText,
  SPEND_PASS_MODULE,
  type SpendPassOptions,
  type SpendPassResult,
  type TopCandidate,
} from "./scan/spend-pass.js";
import { indexOrAdd } from "./string-index.js";
import { type UsageRow, UsageRows } from "./usage-rows.js";
import type { TelemetryWarning, WarningSink } from "./warnings.js";
import {
  type ClockPlace,
  compareClockPlaces,
  JoinedAttempts,
  UNPRICED,
  type WpAttemptsPartJson,
} from "./wp-attempts.js";

/** What to read, and what of it to keep (see SpendPassOptions). */
export interface SpendScanRequest {
  readonly repoRoot: string;
  readonly feature: string | undefined;
  readonly filter: ParsedFilter;
  /** Read once the logs are being looked up (it may be a getter that asks Intl). */
  readonly timeZone: string;
  /** The key fields (KEY_FIELD_BITS) the rows without period and the period rows keep. */
  readonly rowKeep: number;
  readonly periodKeep: number;
  readonly period: PeriodChoice;
  readonly maxPeriods: number;
  readonly top: number;
  /** A pricing table (its `entries` let worker threads make their own), or any resolver. */
  readonly pricing: RateResolver & {
    readonly effective?: string | undefined;
    readonly entries?: readonly PricingEntry[];
  };
  readonly warn: WarningSink;
  readonly threads?: number | undefined;
  readonly minRangeBytes?: number | undefined;
  /**
   * Given, each feature's invocations go here as soon as its log is read, with the log's place
   * among the features' (folder order), and are not kept (`features` is then empty): their
   * columns are let go while the other logs are still read.
   */
  readonly onFeature?: ((index: number, feature: FeatureInvocations) => Promise<void>) | undefined;
  /**
   * Given, each log's rows without period go here as soon as it is read (in no set order), and
   * are not kept (`rows` is then empty): a caller rolling them up does it while the other
   * logs are still read.
   */
  readonly onRows?: ((rows: readonly UsageRow[]) => void) | undefined;
  /** Given, told how many features match before any log is read. */
  readonly onFeatures?: ((count: number) => void) | undefined;
}

/** A work package's invocations in a log, read in clock order (Lamport clock, node, id). */
export interface WpInvocations {
  readonly wpId: string;
  /** Its attempts (without the last one's verdict), its invocations and the unpriced ones. */
  readonly attempts: JoinedAttempts;
}

export interface FeatureInvocations {
  readonly slug: string;
  /** By WP id; events without one under `unknown`. */
  readonly workPackages: readonly WpInvocations[];
}

export interface TopInvocation {
  readonly event: Event;
  readonly cost: PicoUsd;
  readonly kind: CostKind;
}

/** What one read of the logs found. */
export interface SpendScan {
  readonly featureCount: number;
  /** Rows of every execution event in the time window, without period (none with `onRows`). */
  readonly rows: UsageRows;
  /** The same events' rows by period in the zone (see PeriodPool). */
  readonly periods: JoinedPeriods;
  /** Features with a matching invocation, in folder order (none with `onFeature`). */
  readonly features: readonly FeatureInvocations[];
  /** The costliest matching invocations, costliest first (then by id). */
  readonly top: readonly TopInvocation[];
}

/**
 * Reads the logs of the project's features once, in parallel (the report's scan), gathering
 * for each range the usage rows without and with the day, the matching invocations in compact
 * columns and the costliest few (spend-pass.ts); then joins them. Each log is read as the
 * report reads it: the same lines skipped, the same duplicates dropped.
 */
export async function spendScan(request: SpendScanRequest): Promise<SpendScan> {
  const { filter, pricing, warn } = request;
  const features = await listFeatureDirs(request.repoRoot, { pattern: request.feature, warn });
  // Each log's size, and with `auto` the span of its first and last lines, looked up at once.
  const lookingUp = eachAtOnce(features, LOOK_UPS_AT_ONCE, async ({ slug, dir }) => {
    const path = join(dir, EVENT_LOG_FILE);
    // Told in folder order below, whichever look-up ends first.
    const told: TelemetryWarning[] = [];
    const size = await sizeOf(path, (w) => told.push(w));
    if (size === null) return { told, log: null };
    const span = request.period === "auto" ? await timeSpan(path, size) : null;
    return { told, log: { slug, path, size, span } };
  });
  // Read while the logs are looked up: the machine's zone is Intl's first use (~10 ms).
  const zone = request.timeZone;
  request.onFeatures?.(features.length);
  const looked = await lookingUp;
  for (const { told } of looked) for (const w of told) warn(w);
  const logs = looked.flatMap(({ log }) => (log === null ? [] : [log]));
  let [first, last] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const { span } of logs) {
    if (span === null) continue;
    first = Math.min(first, span.first);
    last = Math.max(last, span.last);
  }
  const entries = pricing.entries;
  const options: SpendPassOptions = {
    since: filter.sinceMicros,
    until: filter.untilMicros,
    match: {
      wpId: filter.wpId,
      agent: filter.agent,
      model: filter.model,
      role: filter.role,
      success: filter.success,
      sources: filter.origin?.map((o) => (o === UNKNOWN_ORIGIN ? null : o)),
    },
    zone,
    rowKeep: request.rowKeep,
    periodKeep: request.periodKeep,
    period: request.period,
    maxPeriods: request.maxPeriods,
    firstUnit: startUnit(first, last, filter, request.maxPeriods),
    top: request.top,
    invocations: "attempts",
    pricing: entries === undefined ? pricing : { effective: pricing.effective, entries },
  };
  const jobs: FileJob[] = logs.map(({ path, size }) => ({
    path,
    start: 0,
    end: size,
    unterminated: "read",
  }));
  const rows = new UsageRows();
  const periods = new PeriodPool();
  const found: (FeatureInvocations | null)[] = logs.map(() => null);
  const malformed: (TelemetryWarning | null)[] = logs.map(() => null);
  const candidates: {
    cost: bigint;
    id: string;
    log: number;
    path: string;
    candidate: TopCandidate;
  }[] = [];
  await scanFiles(
    jobs,
    {
      // A resolver that is not a table's cannot be sent to a worker: this thread reads alone.
      threads: entries === undefined ? 1 : request.threads,
      minRangeBytes: request.minRangeBytes,
      pass: { module: SPEND_PASS_MODULE, options },
    },
    async (i, result) => {
      const log = logs[i] as (typeof logs)[number];
      // Told in the logs' order once all are read, as the report tells them.
      malformed[i] = malformedLinesWarning(log.path, result.tally);
      const parts = result.passes as SpendPassResult[];
      const logRows = request.onRows === undefined ? rows : new UsageRows();
      // A log read as one range: its rows kept packed as they came (decoded as they are listed).
      const whole = logRows !== rows && parts.length === 1;
      for (const part of parts) {
        const ok = whole ? logRows.addPacked(part.rows) : logRows.sumPacked(part.rows);
        if (!ok) throw new Error("a scan's rows do not check");
        periods.add(part.periods);
        for (const candidate of part.top) {
          candidates.push({
            cost: BigInt(candidate.pico),
            id: candidate.id,
            log: i,
            path: log.path,
            candidate,
          });
        }
      }
      // Decoded once for every roll-up they go to.
      if (logRows !== rows) request.onRows?.([...logRows]);
      // A log whose invocations are not in clock order is read again, its invocations sorted.
      const workPackages =
        joinAttempts(parts.map((p) => p.attempts)) ??
        (await sortedAttempts(jobs[i] as FileJob, options));
      if (workPackages.length === 0) return;
      const feature = { slug: log.slug, workPackages };
      if (request.onFeature === undefined) found[i] = feature;
      else await request.onFeature(i, feature);
    },
  );
  for (const warning of malformed) if (warning) warn(warning);
  // An event repeated in two logs: the first feature's first.
  candidates.sort((a, b) => compareTop(a, b) || a.log - b.log);
  const top: TopInvocation[] = [];
  for (const { path, candidate } of candidates.slice(0, request.top)) {
    const event = await readEventAt(path, candidate.offset, candidate.length);
    if (event !== null) top.push({ event, ...eventCost(event, pricing) });
  }
  return {
    featureCount: features.length,
    rows,
    periods: periods.join(request.period, request.maxPeriods),
    features: found.filter((f): f is FeatureInvocations => f !== null),
    top,
  };
}

// Files open at once while logs are looked up (a project may have thousands of features).
const LOOK_UPS_AT_ONCE = 16;

/** `fn` of each item, at most `limit` at once; the results in the items' order. */
async function eachAtOnce<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}

/** The unit `auto` starts with: the logs' span, within the filter's time window. */
function startUnit(first: number, last: number, filter: ParsedFilter, max: number) {
  const from = Math.max(first, filter.sinceMicros ?? first);
  const to = Math.min(last, filter.untilMicros ?? last);
  return from <= to ? firstUnitFor(from, to, max) : "day";
}

/** A log's size, or null when there is none (missing) or it cannot be read (one warning). */
async function sizeOf(path: string, warn: WarningSink): Promise<number | null> {
  try {
    // Only a regular file inside the project: a FIFO, a device or a symlink out is refused.
    const handle = await openForRead(path);
    if (handle === null) return null;
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch (e) {
    warnLogUnreadable(path, e, warn);
    return null;
  }
}

// This thread's ranges use the pass already loaded with this module.
registerRangePass(SPEND_PASS_MODULE, createRangePass);

const PEEK_BYTES = 64 << 10;
const TIMESTAMP = /"timestamp": ?"([^"]+)"/g;

/**
 * The times of a log's first and last events as its first and last 64 KiB tell them (a log is
 * appended in time order, mostly): only a hint of the history's length, never a figure.
 */
async function timeSpan(path: string, size: number): Promise<{ first: number; last: number }> {
  const span = { first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
  const file = await open(path, READ_FLAGS);
  try {
    for (const at of new Set([0, Math.max(0, size - PEEK_BYTES)])) {
      const bytes = Buffer.alloc(Math.min(PEEK_BYTES, size));
      const { bytesRead } = await file.read(bytes, 0, bytes.length, at);
      for (const [, text] of bytes.toString("utf8", 0, bytesRead).matchAll(TIMESTAMP)) {
        const micros = Date.parse(text as string) * 1000;
        if (Number.isNaN(micros)) continue;
        span.first = Math.min(span.first, micros);
        span.last = Math.max(span.last, micros);
      }
    }
  } catch {
    // Only a hint: an unreadable log is the scan's to report.
  } finally {
    await file.close();
  }
  return span;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The event on the line at `offset` (as the scan read it), or null if it is no longer one. */
async function readEventAt(path: string, offset: number, length: number): Promise<Event | null> {
  const file = await open(path, READ_FLAGS);
  try {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await file.read(bytes, 0, length, offset);
    const event = readEventLine(
      cleanLine(strictUtf8.decode(bytes.subarray(0, bytesRead)), offset === 0 ? 1 : 0),
    );
    return event === null || isInvalid(event) ? null : event;
  } catch {
    return null;
  } finally {
    await file.close();
  }
}

/**
 * A log's work packages' attempts from its ranges' parts (in file order), by WP id; null when
 * a range's were not read (its invocations out of clock order) or a work package's invocations
 * in one range do not all come after those in the range before.
 */
function joinAttempts(
  parts: readonly (readonly WpAttemptsPartJson[] | null)[],
): WpInvocations[] | null {
  const byWp = new Map<string, { attempts: JoinedAttempts; last: ClockPlace }>();
  for (const part of parts) {
    if (part === null) return null;
    for (const wp of part) {
      let held = byWp.get(wp.wpId);
      if (held === undefined) {
        held = { attempts: new JoinedAttempts(), last: wp.last };
        byWp.set(wp.wpId, held);
      } else if (compareClockPlaces(held.last, wp.first) >= 0) return null;
      held.attempts.join(wp);
      held.last = wp.last;
    }
  }
  return byWpId([...byWp].map(([wpId, { attempts }]) => ({ wpId, attempts })));
}

const byWpId = (list: WpInvocations[]) =>
  list.sort((x, y) => (x.wpId < y.wpId ? -1 : x.wpId > y.wpId ? 1 : 0));

/** A log read again in this thread, its invocations in columns, each WP's sorted into clock order. */
async function sortedAttempts(job: FileJob, options: SpendPassOptions): Promise<WpInvocations[]> {
  const parts: InvocationColumns[] = [];
  const pass = {
    module: SPEND_PASS_MODULE,
    options: { ...options, invocations: "columns", top: 0 },
  };
  await scanFiles([job], { threads: 1, pass }, async (_, result) => {
    for (const part of result.passes as SpendPassResult[])
      if (part.invocations !== null) parts.push(part.invocations);
  });
  return joinInvocations(parts);
}

/** One log's invocations (its ranges' columns, in file order) by work package, each in clock order. */
function joinInvocations(parts: readonly InvocationColumns[]): WpInvocations[] {
  const n = parts.reduce((sum, p) => sum + p.count, 0);
  if (n === 0) return [];
  const { strings, wp, node, agent, clock, flags, cost, ids, bigCosts } =
    parts.length === 1 ? oneRange(parts[0] as InvocationColumns) : concatenated(parts, n);
  return byWorkPackage(n, strings, wp, node, agent, clock, flags, cost, ids, bigCosts);
}

/** A log read as one range: its columns as they came (strings distinct, arrays the log's). */
function oneRange(part: InvocationColumns) {
  const bigCosts = new Map<number, PicoUsd>();
  for (const [index, pico] of part.bigCosts) bigCosts.set(index, BigInt(pico) as PicoUsd);
  return { ...part, bigCosts };
}

/** Several ranges' columns in file order, their strings made the log's. */
function concatenated(parts: readonly InvocationColumns[], n: number) {
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const wp = new Uint32Array(n);
  const node = new Uint32Array(n);
  const agent = new Uint32Array(n);
  const clock = new Float64Array(n);
  const flags = new Uint8Array(n);
  const cost = new Float64Array(n);
  const ids = new Uint32Array(n * ID_WORDS);
  const bigCosts = new Map<number, PicoUsd>();
  let at = 0;
  for (const part of parts) {
    // The range's strings as the log's.
    const remap = part.strings.map((s) => indexOrAdd(strings, indexOf, s));
    for (let i = 0; i < part.count; i++) {
      wp[at + i] = remap[part.wp[i] as number] as number;
      node[at + i] = remap[part.node[i] as number] as number;
      agent[at + i] = remap[part.agent[i] as number] as number;
    }
    clock.set(part.clock, at);
    flags.set(part.flags, at);
    cost.set(part.cost, at);
    ids.set(part.ids, at * ID_WORDS);
    for (const [index, pico] of part.bigCosts) bigCosts.set(at + index, BigInt(pico) as PicoUsd);
    at += part.count;
  }
  return { strings, wp, node, agent, clock, flags, cost, ids, bigCosts };
}

/** The invocations by work package, each in clock order. */
function byWorkPackage(
  n: number,
  strings: readonly string[],
  wp: Uint32Array,
  node: Uint32Array,
  agent: Uint32Array,
  clock: Float64Array,
  flags: Uint8Array,
  cost: Float64Array,
  ids: Uint32Array,
  bigCosts: ReadonlyMap<number, PicoUsd>,
): WpInvocations[] {
  // Each WP's invocations in file order (a counting sort by WP), then in clock order.
  const starts = new Uint32Array(strings.length + 1);
  for (let i = 0; i < n; i++) {
    const k = (wp[i] as number) + 1;
    starts[k] = (starts[k] as number) + 1;
  }
  for (let k = 1; k < starts.length; k++)
    starts[k] = (starts[k] as number) + (starts[k - 1] as number);
  const order = new Uint32Array(n);
  const next = starts.slice(0, strings.length);
  for (let i = 0; i < n; i++) {
    const k = wp[i] as number;
    const place = next[k] as number;
    order[place] = i;
    next[k] = place + 1;
  }
  const a = new IdKey();
  const b = new IdKey();
  const idOf = (key: IdKey, i: number) => {
    key.words.set(ids.subarray(i * ID_WORDS, i * ID_WORDS + 4));
    key.tag = ids[i * ID_WORDS + 4] as number;
    return idText(key);
  };
  const byClock = (i: number, j: number): number => {
    const d = (clock[i] as number) - (clock[j] as number);
    if (d !== 0) return d;
    const [ni, nj] = [strings[node[i] as number] as string, strings[node[j] as number] as string];
    if (ni !== nj) return ni < nj ? -1 : 1;
    const [ii, ij] = [idOf(a, i), idOf(b, j)];
    return ii < ij ? -1 : ii > ij ? 1 : 0;
  };
  const result: WpInvocations[] = [];
  for (let key = 0; key < strings.length; key++) {
    const from = starts[key] as number;
    const to = starts[key + 1] as number;
    if (from === to) continue;
    let list = order.subarray(from, to);
    // A log is written in clock order: sorting is only needed where it was not.
    let sorted = true;
    for (let k = 1; k < list.length && sorted; k++) {
      const i = list[k - 1] as number;
      const j = list[k] as number;
      if ((clock[i] as number) < (clock[j] as number)) continue;
      if (byClock(i, j) > 0) sorted = false;
    }
    if (!sorted) list = Uint32Array.from([...list].sort(byClock));
    const attempts = new JoinedAttempts();
    const run = { pico: 0, big: 0n };
    for (const i of list) {
      const f = flags[i] as number;
      run.pico = cost[i] as number;
      run.big = bigCosts.get(i) ?? 0n;
      attempts.invocations++;
      if (f & UNPRICED) attempts.unpriced++;
      attempts.step(f, strings[agent[i] as number] as string, run);
    }
    result.push({ wpId: strings[key] as string, attempts });
  }
  return byWpId(result);
}
