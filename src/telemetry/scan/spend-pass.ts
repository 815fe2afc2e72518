import { type FieldsCost, fieldsCostInto, type RateResolver, UNKNOWN_GROUP } from "../cost.js";
import type { PicoUsd } from "../money.js";
import { type PeriodChoice, PeriodRows, type PeriodRowsJson } from "../period-rows.js";
import { type PricingEntry, pricingTableOf } from "../pricing-table.js";
import { indexOrAdd } from "../string-index.js";
import type { PeriodUnit } from "../time-zone.js";
import type { PackedRowsJson } from "../usage-rows.js";
import {
  type ClockPlace,
  FAILED,
  IMPLEMENTER,
  REVIEWER,
  type RunCost,
  UNPRICED,
  WpAttemptsPart,
  type WpAttemptsPartJson,
} from "../wp-attempts.js";
import type { EventFields } from "./event-fields.js";
import { IdKey } from "./id-set.js";
import type { RangePass } from "./range-pass.js";
import { EMPTY_TEXT, NULL_TEXT, textNumber, textOf } from "./text-ids.js";

/**
 * What one read of the logs gathers for a dashboard (see spend-scan.ts), per range: usage rows
 * without period and by period (every grouping rolls up from them), each matching invocation in a
 * compact columnar form (for the work packages' outcomes) and the costliest few.
 */
export interface SpendPassOptions {
  /** Inclusive bounds in epoch microseconds. */
  readonly since: number | undefined;
  readonly until: number | undefined;
  /** The field conditions on invocations (rows keep the fields and are filtered when rolled up). */
  readonly match: InvocationMatch;
  /** The IANA zone of the days. */
  readonly zone: string;
  /** The key fields (KEY_FIELD_BITS) kept by the rows without period and by the period rows. */
  readonly rowKeep: number;
  readonly periodKeep: number;
  /** The periods of the time series, and at most how many of them `auto` keeps (PeriodRows). */
  readonly period: PeriodChoice;
  readonly maxPeriods: number;
  /** With `auto`: the unit to start with (the logs' first and last lines tell the span). */
  readonly firstUnit: PeriodUnit;
  readonly top: number;
  /**
   * How matching invocations are kept: `attempts`, each work package's attempts read as the
   * range goes (WpAttemptsPart), given the range's invocations are in clock order; `columns`,
   * every invocation in columns (for a log whose invocations are not).
   */
  readonly invocations: "attempts" | "columns";
  /** The pricing table as data (a worker makes its own), or the resolver itself (this thread). */
  readonly pricing:
    | { readonly effective: string | undefined; readonly entries: readonly PricingEntry[] }
    | RateResolver;
}

/** A filter's field conditions, as plain data. */
export interface InvocationMatch {
  readonly wpId?: string | undefined;
  readonly agent?: string | undefined;
  readonly model?: string | undefined;
  readonly role?: string | undefined;
  readonly success?: boolean | undefined;
  /** Allowed sources; null stands for events that record none. */
  readonly sources?: readonly (string | null)[] | undefined;
}

/** Words of an id key in `InvocationColumns.ids`: its four words and its tag. */
export const ID_WORDS = 5;

/** A range's invocations, column by column; text columns index `strings`. */
export interface InvocationColumns {
  readonly count: number;
  readonly strings: readonly string[];
  readonly wp: Uint32Array;
  readonly node: Uint32Array;
  readonly agent: Uint32Array;
  readonly clock: Float64Array;
  readonly flags: Uint8Array;
  /** Pico-dollars while a safe integer; NaN where `bigCosts` holds the cost as decimal text. */
  readonly cost: Float64Array;
  readonly bigCosts: readonly (readonly [index: number, pico: string])[];
  readonly ids: Uint32Array;
}

/** One of the costliest invocations: where its line is, its cost, its id (the tie-break). */
export interface TopCandidate {
  readonly pico: string;
  readonly id: string;
  readonly offset: number;
  readonly length: number;
}

export interface SpendPassResult {
  /** Packed (UsageRows.toPacked): rows without period. */
  readonly rows: PackedRowsJson;
  readonly periods: PeriodRowsJson;
  /** With `columns`: the invocations; else null. */
  readonly invocations: InvocationColumns | null;
  /**
   * With `attempts`: each work package's part (in the order first seen), or null when the
   * range's invocations of some work package are not in clock order.
   */
  readonly attempts: readonly WpAttemptsPartJson[] | null;
  readonly top: readonly TopCandidate[];
}

/**
 * This module's URL, for `RangePassSpec.module`: resolved beside the module that holds this
 * code, which is this file (from source, or tsc's output) or the CLI's bundle, beside which the
 * bundle script writes this module's own bundle (as it does the scan worker's).
 */
export const SPEND_PASS_MODULE = new URL(
  import.meta.url.endsWith(".ts") ? "./spend-pass.ts" : "./spend-pass.js",
  import.meta.url,
).href;

const HEX = "0123456789abcdef";

/** An id key's canonical text: an upper-case ULID, or a lower-case hyphenated UUID. */
export function idText(key: IdKey): string {
  if (key.isUlid) return key.ulidText();
  let hex = "";
  for (const word of key.words) hex += word.toString(16).padStart(8, "0");
  let text = "";
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) text += "-";
    text += HEX[Number.parseInt(hex[i] as string, 16)];
  }
  return text;
}

/** Orders two candidates as the dashboard lists them: costlier first, then by id. */
export function compareTop(
  a: { readonly cost: bigint | number; readonly id: string },
  b: { readonly cost: bigint | number; readonly id: string },
): number {
  if (a.cost > b.cost) return -1;
  if (a.cost < b.cost) return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Growable typed columns (doubled as they fill). A range sends a copy of the part it filled:
 * the columns themselves are kept for the thread's next range (`ofCapacity`), so that a scan
 * allocates each thread's columns once, not once per range (memory outside the JS heap, whose
 * growth makes V8 collect the heap: ten full collections a 1M-event dashboard, three without).
 */
class Columns {
  count = 0;
  wp: Uint32Array;
  node: Uint32Array;
  agent: Uint32Array;
  clock: Float64Array;
  flags: Uint8Array;
  cost: Float64Array;
  ids: Uint32Array;
  bigCosts: [number, string][] = [];
  strings: string[] = [];
  #indexOf = new Map<string, number>();

  /** Columns for a range of `capacity` invocations or so: the thread's last ones when free. */
  static ofCapacity(capacity: number): Columns {
    const free = spareColumns;
    if (free === null || free.wp.length < capacity) return new Columns(capacity);
    spareColumns = null;
    free.count = 0;
    free.bigCosts = [];
    free.strings = [];
    free.#indexOf = new Map();
    free.#byNumber.fill(0);
    return free;
  }

  constructor(capacity: number) {
    this.wp = new Uint32Array(capacity);
    this.node = new Uint32Array(capacity);
    this.agent = new Uint32Array(capacity);
    this.clock = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.cost = new Float64Array(capacity);
    this.ids = new Uint32Array(capacity * ID_WORDS);
  }

  /** Per text number (text-ids.ts), its index in `strings` + 1 (0: not yet there). */
  #byNumber = new Int32Array(64);

  /** The index of the text numbered `n` (a key text the scanner numbered): no string hashed. */
  textNumbered(n: number): number {
    if (n >= this.#byNumber.length) {
      const grown = new Int32Array(Math.max(n + 1, this.#byNumber.length * 2));
      grown.set(this.#byNumber);
      this.#byNumber = grown;
    }
    const held = this.#byNumber[n] as number;
    if (held > 0) return held - 1;
    const index = this.text(textOf(n) ?? "");
    this.#byNumber[n] = index + 1;
    return index;
  }

  text(value: string): number {
    return indexOrAdd(this.strings, this.#indexOf, value);
  }

  /** Room for one more. */
  reserve(): number {
    const at = this.count;
    if (at === this.wp.length) {
      const grow = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, size: number): T => {
        const next = new (a.constructor as new (n: number) => T)(size);
        next.set(a);
        return next;
      };
      const size = Math.max(64, at * 2);
      this.wp = grow(this.wp, size);
      this.node = grow(this.node, size);
      this.agent = grow(this.agent, size);
      this.clock = grow(this.clock, size);
      this.flags = grow(this.flags, size);
      this.cost = grow(this.cost, size);
      this.ids = grow(this.ids, size * ID_WORDS);
    }
    this.count++;
    return at;
  }

  /** The columns filled, copied (and the copies' buffers to transfer); these are then free. */
  done(): { columns: InvocationColumns; transfer: ArrayBuffer[] } {
    const n = this.count;
    const columns: InvocationColumns = {
      count: n,
      strings: this.strings,
      wp: this.wp.slice(0, n),
      node: this.node.slice(0, n),
      agent: this.agent.slice(0, n),
      clock: this.clock.slice(0, n),
      flags: this.flags.slice(0, n),
      cost: this.cost.slice(0, n),
      bigCosts: this.bigCosts,
      ids: this.ids.slice(0, n * ID_WORDS),
    };
    const { wp, node, agent, clock, flags, cost, ids } = columns;
    const transfer = [wp, node, agent, clock, flags, cost, ids].map((a) => a.buffer as ArrayBuffer);
    spareColumns = this;
    return { columns, transfer };
  }
}

/** This thread's columns not in use (see Columns). */
let spareColumns: Columns | null = null;

// Lines spec-kitty writes are 350-500 bytes: a first guess at a range's invocations.
const AVERAGE_LINE_BYTES = 420;

/** The pass of one range (see range-pass.ts); its size in bytes sizes its columns. */
export function createRangePass(options: unknown, bytes: number): RangePass {
  const o = options as SpendPassOptions;
  const pricing: RateResolver =
    "entries" in o.pricing ? pricingTableOf(o.pricing.effective, o.pricing.entries) : o.pricing;
  const since = o.since ?? Number.NEGATIVE_INFINITY;
  const until = o.until ?? Number.POSITIVE_INFINITY;
  const rows = new PeriodRows({
    choice: o.period,
    zone: o.zone,
    rowKeep: o.rowKeep,
    periodKeep: o.periodKeep,
    max: o.maxPeriods,
    first: o.firstUnit,
  });
  const columns =
    o.invocations === "columns" ? Columns.ofCapacity(Math.ceil(bytes / AVERAGE_LINE_BYTES)) : null;
  const attempts = columns === null ? new RangeAttempts() : null;
  const matches = matcher(o.match);
  const top: { cost: bigint | number; id: string; offset: number; length: number }[] = [];
  const candidate = { cost: 0 as bigint | number, id: "" };
  const cost: FieldsCost = { kind: "no-usage", pico: 0, big: 0n as PicoUsd };
  const UNKNOWN = textNumber(UNKNOWN_GROUP);
  let lastNode: string | null = null;
  let lastNodeIndex = 0;

  // What a cost must reach to be among the top few, as a double (ties go by id).
  let topFloor = o.top > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const keepTop = (cost: bigint | number, fields: EventFields, offset: number, length: number) => {
    if (o.top <= 0) return;
    const worst = top.at(-1);
    if (top.length >= o.top && worst !== undefined) {
      if (cost < worst.cost) return;
      candidate.cost = cost;
      candidate.id = idText(fields.id);
      if (compareTop(candidate, worst) >= 0) return;
      top.pop();
    }
    top.push({ cost, id: idText(fields.id), offset, length });
    top.sort(compareTop);
  };

  return {
    visit(fields, offset, length) {
      if (!fields.isExecution || fields.micros < since || fields.micros > until) return;
      rows.add(fields);
      if (!matches(fields)) return;
      const { kind, pico, big } = fieldsCostInto(fields, pricing, cost);
      // Without a WP id (null or ""): the `unknown` group, as `cost --group-by wp` has it.
      const wpText = fields.wpIdText;
      const wp = wpText !== NULL_TEXT && wpText !== EMPTY_TEXT ? wpText : UNKNOWN;
      const agent = fields.agentText === NULL_TEXT ? EMPTY_TEXT : fields.agentText;
      const role = fields.role;
      const flags =
        (role === "implementer" ? IMPLEMENTER : role === "reviewer" ? REVIEWER : 0) |
        (fields.success === false ? FAILED : 0) |
        (kind === "unpriced" || kind === "no-usage" ? UNPRICED : 0);
      // Only a cost that may be among the top few is handed on (a double argument is boxed).
      if (pico >= topFloor || Number.isNaN(pico)) {
        keepTop(Number.isNaN(pico) ? big : pico, fields, offset, length);
        // A bigint cost is past every safe integer, as its double is.
        const worst = top.at(-1);
        if (top.length >= o.top && worst !== undefined) topFloor = Number(worst.cost);
      }
      if (attempts !== null) {
        attempts.add(wp, agent, flags, cost, fields);
        return;
      }
      if (columns === null) return;
      const at = columns.reserve();
      columns.wp[at] = columns.textNumbered(wp);
      // Consecutive invocations often share a node: its index is looked up when it changes.
      if (fields.nodeId !== lastNode) {
        lastNode = fields.nodeId;
        lastNodeIndex = columns.text(lastNode);
      }
      columns.node[at] = lastNodeIndex;
      columns.agent[at] = columns.textNumbered(agent);
      columns.clock[at] = fields.lamportClock;
      columns.flags[at] = flags;
      columns.cost[at] = pico;
      if (Number.isNaN(pico)) columns.bigCosts.push([at, big.toString()]);
      const ids = columns.ids;
      const words = fields.id.words;
      const w = at * ID_WORDS;
      ids[w] = words[0] as number;
      ids[w + 1] = words[1] as number;
      ids[w + 2] = words[2] as number;
      ids[w + 3] = words[3] as number;
      ids[w + 4] = fields.id.tag;
    },
    finish() {
      const done = columns?.done();
      const result: SpendPassResult = {
        ...rows.finish(),
        invocations: done?.columns ?? null,
        attempts: attempts?.finish() ?? null,
        top: top.map((t) => ({
          pico: t.cost.toString(),
          id: t.id,
          offset: t.offset,
          length: t.length,
        })),
      };
      return { result, transfer: done?.transfer ?? [] };
    },
  };
}

/** A work package's part of a range, and where its invocations are in clock order. */
class WpTrack {
  readonly part = new WpAttemptsPart<number>();
  readonly first: ClockPlace;
  // A double from the start: a field that changes representation is stored boxed.
  lastClock = Number.NaN;
  lastNode = "";
  readonly lastId = new IdKey();
  readonly wp: number;

  constructor(wp: number, f: EventFields) {
    this.wp = wp;
    this.lastId.copyFrom(f.id);
    this.first = { clock: f.lamportClock, node: f.nodeId, id: idText(this.lastId) };
  }
}

/**
 * A range's work packages' attempts (WpAttemptsPart, agents by text number), read as long as
 * each work package's invocations come in clock order (Lamport clock, node, id), as a log
 * written by the pipeline has them; the first that does not makes the range's result null.
 */
class RangeAttempts {
  /** By WP text number. */
  readonly #byWp: (WpTrack | undefined)[] = [];
  readonly #tracks: WpTrack[] = [];
  #inOrder = true;

  add(wp: number, agent: number, flags: number, cost: RunCost, f: EventFields): void {
    if (!this.#inOrder) return;
    let track = this.#byWp[wp];
    if (track === undefined) {
      track = new WpTrack(wp, f);
      this.#byWp[wp] = track;
      this.#tracks.push(track);
    } else if (!(f.lamportClock > track.lastClock) && !follows(track, f)) {
      this.#inOrder = false;
      return;
    } else {
      // Word by word: cheaper than a typed array's `set` once per invocation.
      const to = track.lastId.words;
      const from = f.id.words;
      to[0] = from[0] as number;
      to[1] = from[1] as number;
      to[2] = from[2] as number;
      to[3] = from[3] as number;
      track.lastId.tag = f.id.tag;
    }
    track.lastClock = f.lamportClock;
    track.lastNode = f.nodeId;
    track.part.add(flags, agent, cost);
  }

  finish(): WpAttemptsPartJson[] | null {
    if (!this.#inOrder) return null;
    const text = (n: number) => textOf(n) ?? "";
    return this.#tracks.map((t) => {
      const last = { clock: t.lastClock, node: t.lastNode, id: idText(t.lastId) };
      return t.part.toJSON(text(t.wp), text, t.first, last);
    });
  }
}

/** Whether an invocation at the same clock as a track's last comes after it (node, then id). */
function follows(track: WpTrack, f: EventFields): boolean {
  if (f.lamportClock !== track.lastClock) return false;
  if (f.nodeId !== track.lastNode) return f.nodeId > track.lastNode;
  return idText(f.id) > idText(track.lastId);
}

/** The field conditions as one predicate on scanned fields (as compileFilter's on events). */
function matcher(match: InvocationMatch): (f: EventFields) => boolean {
  const checks: ((f: EventFields) => boolean)[] = [];
  const { wpId, agent, model, role, success, sources } = match;
  if (wpId !== undefined) checks.push((f) => f.wpId === wpId);
  if (agent !== undefined) checks.push((f) => f.agent === agent);
  if (model !== undefined) checks.push((f) => f.model === model);
  if (role !== undefined) checks.push((f) => f.role === role);
  if (success !== undefined) checks.push((f) => f.success === success);
  if (sources !== undefined) {
    const allowed = new Set(sources);
    checks.push((f) => allowed.has(f.source));
  }
  if (checks.length === 0) return () => true;
  return (f) => checks.every((check) => check(f));
}
