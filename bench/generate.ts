// Realistic telemetry projects for the benchmark: N execution events over F features, written
// byte for byte in the on-disk format, with the malformed lines real logs collect. Deterministic
// for a given seed (the ULIDs' random part comes from the same seeded PRNG).
import { appendFile, mkdir, open, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { monotonicFactory, type ULIDFactory } from "ulid";
import { createEvent, serializeEvent } from "../src/events/event.js";
import { EXECUTION_FLOAT_KEYS } from "../src/telemetry/execution-payload.js";

export const FEATURES_FOLDER = "kitty-specs";
export const LOG_FILE = "execution.events.jsonl";

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32, its seed hashed with FNV-1a).

type Weighted<T> = readonly (readonly [T, number])[];

export class Rng {
  #state: number;

  constructor(seed: string | number) {
    const text = String(seed);
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    this.#state = h >>> 0;
  }

  /** A float in [0, 1). */
  readonly next = (): number => {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Spread evenly on a log scale, as token counts and durations are. */
  logInt(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * this.next()));
  }

  pick<T>(items: Weighted<T>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items.at(-1);
    if (!last) throw new Error("pick from an empty list");
    return last[0];
  }

  any<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// What the agents report. Numbers are synthetic but shaped like each agent CLI's output.

const AGENTS = ["claude", "codex", "gemini", "opencode", "copilot", "cursor"] as const;
type Agent = (typeof AGENTS)[number];

const AGENT_WEIGHTS: Weighted<Agent> = [
  ["claude", 0.38],
  ["codex", 0.24],
  ["gemini", 0.14],
  ["opencode", 0.1],
  ["copilot", 0.08],
  ["cursor", 0.06],
];

const MODELS: Readonly<Record<Agent, Weighted<string | null>>> = {
  claude: [
    ["claude-sonnet-4-5-20250929", 0.55],
    ["claude-opus-4-6", 0.25],
    ["claude-haiku-4-5-20251001", 0.12],
    ["claude-sonnet-4-5", 0.08],
  ],
  codex: [
    ["gpt-5.1-codex", 0.5],
    ["gpt-5-codex", 0.3],
    ["gpt-5.1-codex-max", 0.2],
  ],
  gemini: [
    ["gemini-2.5-pro", 0.6],
    ["gemini-2.5-flash", 0.15],
    ["gemini-3-pro-preview", 0.25],
  ],
  // qwen3-coder:30b runs locally and has no price: it is reported as unpriced.
  opencode: [
    ["anthropic/claude-sonnet-4.5", 0.55],
    ["openai/gpt-5-codex", 0.2],
    ["qwen3-coder:30b", 0.25],
  ],
  copilot: [
    ["claude-sonnet-4.5", 0.5],
    ["gpt-5", 0.3],
    [null, 0.2],
  ],
  cursor: [
    [null, 0.6],
    ["gpt-5", 0.2],
    ["claude-sonnet-4-5", 0.2],
  ],
};

/** USD per million tokens (input, output, cache read, cache write) of the models whose agents
 * report a cost: Claude Code and OpenCode compute theirs. */
const LIST_PRICES: Readonly<Record<string, readonly [number, number, number, number]>> = {
  "claude-sonnet-4-5-20250929": [3, 15, 0.3, 3.75],
  "claude-sonnet-4-5": [3, 15, 0.3, 3.75],
  "claude-opus-4-6": [5, 25, 0.5, 6.25],
  "claude-haiku-4-5-20251001": [1, 5, 0.1, 1.25],
  "anthropic/claude-sonnet-4.5": [3, 15, 0.3, 3.75],
  "openai/gpt-5-codex": [1.25, 10, 0.125, 0],
};

type BenchRole = "implementer" | "reviewer" | "planner";
const ROLE_WEIGHTS: Weighted<BenchRole> = [
  ["implementer", 0.58],
  ["reviewer", 0.34],
  ["planner", 0.08],
];
const ROLE_SCALE: Readonly<Record<BenchRole, number>> = {
  implementer: 1,
  reviewer: 0.35,
  planner: 0.6,
};

const FAILURES: Readonly<Record<Agent, readonly (readonly [string, number])[]>> = {
  claude: [
    ["API Error: 429 rate_limit_error: request would exceed the rate limit", 1],
    ["error_max_turns: Reached maximum number of turns (60)", 1],
  ],
  codex: [
    ["You've hit your usage limit. Try again in 2 hours 41 minutes.", 1],
    ["stream disconnected before completion: request timed out", 1],
  ],
  gemini: [
    ["agent timed out after 1500 s", 124],
    ["FatalTurnLimitedError: Reached max session turns for this session.", 53],
  ],
  opencode: [["APIError: Overloaded", 1]],
  copilot: [["Error: Request timed out", 1]],
  cursor: [["cursor-agent: connection reset by peer", 2]],
};

const FEATURE_WORDS = [
  "telemetry-foundation",
  "cost-report",
  "orchestrator",
  "review-loop",
  "merge-driver",
  "pricing-table",
  "event-store",
  "dashboard",
  "agent-registry",
  "work-packages",
  "clock-sync",
  "git-hooks",
  "spec-templates",
  "plan-validation",
  "task-graph",
  "retry-policy",
  "cache-layer",
  "auth-tokens",
  "export-csv",
  "search-index",
  "notifications",
  "audit-log",
  "migrations",
  "release-notes",
];

// ---------------------------------------------------------------------------------------------
// The event, and its line written by hand (checked against serializeEvent by selfCheck).

/** An ExecutionEvent payload as the generator writes it (keys absent when undefined). */
type Payload = {
  readonly agent: string;
  readonly cache_read_tokens?: number;
  readonly cache_write_tokens?: number;
  readonly cost_source?: "reported";
  readonly cost_usd: number | null;
  readonly duration_ms: number;
  readonly error: string | null;
  readonly exit_code: number | null;
  readonly input_tokens: number | null;
  readonly model: string | null;
  readonly models?: readonly ModelEntry[];
  readonly output_tokens: number | null;
  readonly reasoning_tokens?: number;
  readonly role: string;
  readonly session_id?: string;
  readonly success: boolean;
  readonly wp_id: string;
};

/** One model's share of a Claude Code run (its main model, and its background Haiku calls). */
type ModelEntry = {
  readonly cache_read_tokens: number;
  readonly cache_write_1h_tokens: number;
  readonly cache_write_tokens: number;
  readonly cost_usd: number | null;
  readonly input_tokens: number;
  readonly model: string;
  readonly output_tokens: number;
  readonly reasoning_tokens: number;
};

interface BenchEvent {
  readonly aggregate_id: string;
  readonly causation_id: string | null;
  readonly event_id: string;
  readonly lamport_clock: number;
  readonly node_id: string;
  readonly payload: Payload;
  readonly timestamp: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Python's `datetime.isoformat()` of a UTC moment given in microseconds. */
function isoFromMicros(micros: number): string {
  const fraction = micros % 1_000_000;
  const base = new Date((micros - fraction) / 1000).toISOString().slice(0, 19);
  return fraction === 0 ? `${base}+00:00` : `${base}.${pad(fraction, 6)}+00:00`;
}

/** Python's `repr(float)` for the values written here (non-negative, below 1e16). */
function pyFloat(x: number): string {
  if (x !== 0 && x < 1e-4) {
    const [mantissa = "", exponent = ""] = x.toExponential().split("e");
    return `${mantissa}e-${pad(Math.abs(Number(exponent)), 2)}`;
  }
  const text = String(x);
  return text.includes(".") ? text : `${text}.0`;
}

// Every string written is printable ASCII, where JSON.stringify and Python's json.dumps agree.
const str = (s: string): string => JSON.stringify(s);
const nullable = (s: string | null): string => (s === null ? "null" : str(s));
const count = (n: number | null): string => (n === null ? "null" : String(n));

/** The event's line as `json.dumps(event, sort_keys=True)` writes it (no newline). */
function eventLine(e: BenchEvent): string {
  const p = e.payload;
  let line = `{"aggregate_id": ${str(e.aggregate_id)}, "causation_id": ${nullable(e.causation_id)}, "event_id": "${e.event_id}", "event_type": "ExecutionEvent", "lamport_clock": ${e.lamport_clock}, "node_id": ${str(e.node_id)}, "payload": {"agent": ${str(p.agent)}`;
  if (p.cache_read_tokens !== undefined) line += `, "cache_read_tokens": ${p.cache_read_tokens}`;
  if (p.cache_write_tokens !== undefined) line += `, "cache_write_tokens": ${p.cache_write_tokens}`;
  if (p.cost_source !== undefined) line += `, "cost_source": ${str(p.cost_source)}`;
  line += `, "cost_usd": ${p.cost_usd === null ? "null" : pyFloat(p.cost_usd)}, "duration_ms": ${p.duration_ms}, "error": ${nullable(p.error)}, "exit_code": ${count(p.exit_code)}, "input_tokens": ${count(p.input_tokens)}, "model": ${nullable(p.model)}`;
  if (p.models !== undefined) line += `, "models": [${p.models.map(modelEntryText).join(", ")}]`;
  line += `, "output_tokens": ${count(p.output_tokens)}`;
  if (p.reasoning_tokens !== undefined) line += `, "reasoning_tokens": ${p.reasoning_tokens}`;
  line += `, "role": ${str(p.role)}`;
  if (p.session_id !== undefined) line += `, "session_id": ${str(p.session_id)}`;
  return `${line}, "success": ${p.success}, "wp_id": ${str(p.wp_id)}}, "timestamp": "${e.timestamp}"}`;
}

function modelEntryText(m: ModelEntry): string {
  const cost = m.cost_usd === null ? "null" : pyFloat(m.cost_usd);
  return `{"cache_read_tokens": ${m.cache_read_tokens}, "cache_write_1h_tokens": ${m.cache_write_1h_tokens}, "cache_write_tokens": ${m.cache_write_tokens}, "cost_usd": ${cost}, "input_tokens": ${m.input_tokens}, "model": ${str(m.model)}, "output_tokens": ${m.output_tokens}, "reasoning_tokens": ${m.reasoning_tokens}}`;
}

/**
 * Claude Code's per-model usage: the main model's tokens and, in most runs, a small Haiku share
 * (its background calls), the totals being their sums; each entry with its own reported cost.
 */
function claudeModels(rng: Rng, model: string, usage: Usage, cost: number | null): ModelEntry[] {
  const main: ModelEntry = {
    cache_read_tokens: usage.cacheRead ?? 0,
    cache_write_1h_tokens: 0,
    cache_write_tokens: usage.cacheWrite ?? 0,
    cost_usd: cost,
    input_tokens: usage.input ?? 0,
    model,
    output_tokens: usage.output ?? 0,
    reasoning_tokens: usage.reasoning ?? 0,
  };
  if (!rng.chance(0.7)) return [main];
  const helperCost = cost === null ? null : Math.min(cost, Math.round(rng.next() * 4000) / 1e6);
  const helper: ModelEntry = {
    cache_read_tokens: 0,
    cache_write_1h_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: helperCost,
    input_tokens: rng.int(300, 3000),
    model: "claude-haiku-4-5-20251001",
    output_tokens: rng.int(20, 400),
    reasoning_tokens: 0,
  };
  const mainCost =
    cost === null || helperCost === null ? null : Math.round((cost - helperCost) * 1e6) / 1e6;
  return [{ ...main, cost_usd: mainCost }, helper];
}

// ---------------------------------------------------------------------------------------------
// Features and their logs.

/** One feature's state while events are written: its clock, its last event, its pending bytes. */
class FeatureLog {
  readonly slug: string;
  readonly path: string;
  readonly primary: Agent;
  readonly workPackages: number;
  lamport: number;
  lastEventId: string | null = null;
  events = 0;
  /** The last lines written, for the duplicates a git merge leaves. */
  readonly recent: string[] = [];
  #text: string[] = [];
  #textLength = 0;
  #chunks: Buffer[] = [];

  constructor(slug: string, path: string, lamport: number, rng: Rng) {
    this.slug = slug;
    this.path = path;
    this.lamport = lamport;
    this.primary = rng.pick(AGENT_WEIGHTS);
    this.workPackages = rng.int(4, 16);
  }

  line(text: string): void {
    this.#text.push(text, "\n");
    this.#textLength += text.length + 1;
  }

  bytes(bytes: Buffer): void {
    this.#moveText();
    this.#chunks.push(bytes);
  }

  get pending(): number {
    return this.#textLength;
  }

  async flush(): Promise<void> {
    this.#moveText();
    if (this.#chunks.length === 0) return;
    const data = Buffer.concat(this.#chunks);
    this.#chunks = [];
    await appendFile(this.path, data);
  }

  #moveText(): void {
    if (this.#text.length === 0) return;
    this.#chunks.push(Buffer.from(this.#text.join(""), "utf8"));
    this.#text = [];
    this.#textLength = 0;
  }
}

/** What was written: per feature, and the lines a reader must skip or dedupe. */
export interface GeneratedStats {
  /** Distinct, valid ExecutionEvents (what a correct report counts). */
  readonly events: number;
  /** Lines that are not valid JSON (torn, invalid UTF-8) and blank lines. */
  readonly badLines: number;
  /** Valid JSON, invalid event: a token count written as a string. */
  readonly invalidEvents: number;
  /** Exact copies of earlier lines. */
  readonly duplicates: number;
  readonly features: readonly {
    readonly slug: string;
    readonly path: string;
    readonly events: number;
  }[];
}

// Rates of the malformed lines, per event written: a few per 10k in all.
const TORN_RATE = 2e-4;
const STRING_TOKENS_RATE = 2e-4;
const BLANK_RATE = 2e-4;
const INVALID_UTF8_RATE = 1e-4;
const DUPLICATE_RATE = 3e-4;
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0x0a]);
const FLUSH_AT = 1 << 20;

function wpId(n: number): string {
  return `WP${pad(n, 2)}`;
}

function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

function reportedCost(rng: Rng, agent: Agent, model: string | null, p: Usage): number | null {
  if (agent !== "claude" && agent !== "opencode") return null;
  const prices = model === null ? undefined : LIST_PRICES[model];
  if (!prices) return null;
  const [input, output, cacheRead, cacheWrite] = prices;
  let usd =
    ((p.input ?? 0) * input +
      (p.output ?? 0) * output +
      (p.cacheRead ?? 0) * cacheRead +
      (p.cacheWrite ?? 0) * cacheWrite) /
    1e6;
  // Claude Code's total also covers its background Haiku calls.
  if (agent === "claude") usd += 0.0004 + rng.next() * 0.005;
  return Math.round(usd * 1e6) / 1e6;
}

interface Usage {
  readonly input: number | null;
  readonly output: number | null;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  readonly reasoning?: number;
}

function usageFor(rng: Rng, agent: Agent, model: string | null, role: BenchRole): Usage {
  const scale = ROLE_SCALE[role] * (model?.includes("haiku") || model?.includes("flash") ? 0.6 : 1);
  const tokens = (min: number, max: number) => Math.round(rng.logInt(min, max) * scale);
  const times = (n: number, min: number, max: number) =>
    Math.round(n * (min + (max - min) * rng.next()));
  switch (agent) {
    case "claude": {
      const input = tokens(2_000, 150_000);
      const output = tokens(500, 40_000);
      return {
        input,
        output,
        cacheRead: times(input, 5, 20),
        cacheWrite: times(input, 0.2, 0.9),
        ...(rng.chance(0.15) && { reasoning: times(output, 0.1, 0.45) }),
      };
    }
    case "codex": {
      const input = tokens(5_000, 400_000);
      const output = tokens(800, 40_000);
      return {
        input,
        output,
        cacheRead: times(input, 1.5, 8),
        ...(rng.chance(0.3) && { reasoning: times(output, 0.35, 0.75) }),
      };
    }
    case "gemini": {
      const input = tokens(5_000, 350_000);
      const output = tokens(500, 30_000);
      return { input, output, ...(rng.chance(0.5) && { cacheRead: times(input, 0.3, 3) }) };
    }
    case "opencode": {
      const input = tokens(3_000, 100_000);
      const output = tokens(500, 35_000);
      if (model === "qwen3-coder:30b") return { input, output };
      return {
        input,
        output,
        cacheRead: times(input, 3, 15),
        ...(model?.startsWith("anthropic/") && { cacheWrite: times(input, 0.1, 0.6) }),
      };
    }
    case "copilot":
      // Copilot reports no input tokens, and output tokens only sometimes.
      return { input: null, output: rng.chance(0.4) ? tokens(500, 20_000) : null };
    case "cursor":
      return rng.chance(0.5)
        ? { input: tokens(2_000, 80_000), output: tokens(300, 20_000) }
        : { input: null, output: null };
  }
  return agent satisfies never;
}

/** One realistic event of `feature` at `micros` (it advances the feature's clock). */
function nextEvent(rng: Rng, ulid: ULIDFactory, feature: FeatureLog, micros: number): BenchEvent {
  const agent = rng.chance(0.45) ? feature.primary : rng.pick(AGENT_WEIGHTS);
  const role = rng.pick(ROLE_WEIGHTS);
  const model = rng.pick(MODELS[agent]);
  const wp = role === "planner" ? "N/A" : wpId(rng.int(1, feature.workPackages));
  const failure = rng.chance(0.04) ? rng.any(FAILURES[agent]) : null;
  const usage: Usage =
    failure && rng.chance(0.5) ? { input: null, output: null } : usageFor(rng, agent, model, role);
  const cost = reportedCost(rng, agent, model, usage);
  // A few Python-written events (legacy) carry no cost_source although they report a cost.
  const legacy = rng.chance(0.05);
  // Concurrent emitters sometimes leave gaps in a feature's clock.
  feature.lamport += rng.chance(0.03) ? rng.int(2, 4) : 1;
  const causation = role === "reviewer" && rng.chance(0.5) ? feature.lastEventId : null;
  const eventId = ulid(Math.floor(micros / 1000));
  feature.lastEventId = eventId;
  const durationScale = ROLE_SCALE[role];
  const models =
    agent === "claude" && model !== null && usage.input !== null
      ? claudeModels(rng, model, usage, cost)
      : undefined;
  const sum = (pick: (m: ModelEntry) => number) => models?.reduce((n, m) => n + pick(m), 0);
  return {
    aggregate_id: feature.slug,
    causation_id: causation,
    event_id: eventId,
    lamport_clock: feature.lamport,
    node_id: `cli:${wp}`,
    timestamp: isoFromMicros(micros),
    payload: {
      agent,
      ...(usage.cacheRead !== undefined && { cache_read_tokens: usage.cacheRead }),
      ...(usage.cacheWrite !== undefined && { cache_write_tokens: usage.cacheWrite }),
      ...(cost !== null && !legacy && { cost_source: "reported" }),
      cost_usd: cost,
      duration_ms: Math.round(rng.logInt(20_000, 1_500_000) * durationScale),
      error: failure ? failure[0] : null,
      exit_code: failure ? failure[1] : agent === "cursor" && rng.chance(0.5) ? null : 0,
      input_tokens: sum((m) => m.input_tokens) ?? usage.input,
      model,
      ...(models !== undefined && { models }),
      output_tokens: sum((m) => m.output_tokens) ?? usage.output,
      ...(usage.reasoning !== undefined && { reasoning_tokens: usage.reasoning }),
      role,
      ...((agent === "claude" || agent === "codex") &&
        rng.chance(0.1) && { session_id: uuid(rng) }),
      success: failure === null,
      wp_id: wp,
    },
  };
}

interface Timeline {
  micros: number;
  readonly rng: Rng;
  readonly ulid: ULIDFactory;
}

/** Writes `total` events spread over `features` by weight, with the malformed lines. */
async function writeEvents(
  timeline: Timeline,
  features: readonly FeatureLog[],
  weights: readonly number[],
  total: number,
): Promise<Omit<GeneratedStats, "features">> {
  const { rng } = timeline;
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cumulative.push(sum);
  }
  let events = 0;
  let badLines = 0;
  let invalidEvents = 0;
  let duplicates = 0;
  for (let i = 0; i < total; i++) {
    const r = rng.next() * sum;
    let k = 0;
    while (k < cumulative.length - 1 && (cumulative[k] ?? 0) <= r) k++;
    const feature = features[k];
    if (!feature) throw new Error("no feature to write to");
    // Mostly seconds to a minute apart, sometimes an idle stretch.
    timeline.micros += rng.chance(0.01) ? rng.int(600, 36_000) * 1e6 : rng.int(1_000_000, 60e6);
    const event = nextEvent(rng, timeline.ulid, feature, timeline.micros);
    let line = eventLine(event);
    const roll = rng.next();
    if (roll < STRING_TOKENS_RATE) {
      // A token count written as a string: valid JSON, invalid event.
      line = line.replace(/"input_tokens": (\d+|null)/, (_, n: string) =>
        n === "null" ? '"input_tokens": "1200"' : `"input_tokens": "${n}"`,
      );
      invalidEvents++;
    } else {
      events++;
      feature.events++;
    }
    feature.line(line);
    feature.recent.push(line);
    if (feature.recent.length > 64) feature.recent.shift();
    const extra = rng.next();
    if (extra < TORN_RATE) {
      feature.line('{"event_id": "torn');
      badLines++;
    } else if (extra < TORN_RATE + BLANK_RATE) {
      feature.line("");
      badLines++;
    } else if (extra < TORN_RATE + BLANK_RATE + INVALID_UTF8_RATE) {
      feature.bytes(INVALID_UTF8);
      badLines++;
    } else if (extra < TORN_RATE + BLANK_RATE + INVALID_UTF8_RATE + DUPLICATE_RATE) {
      feature.line(rng.any(feature.recent));
      duplicates++;
    }
    if (feature.pending >= FLUSH_AT) await feature.flush();
  }
  for (const feature of features) await feature.flush();
  return { events, badLines, invalidEvents, duplicates };
}

function slugOf(index: number): string {
  const word = FEATURE_WORDS[index % FEATURE_WORDS.length] ?? "feature";
  const round = Math.floor(index / FEATURE_WORDS.length);
  return `${pad(index + 1, 3)}-${word}${round > 0 ? `-${round + 1}` : ""}`;
}

export interface ProjectOptions {
  readonly events: number;
  /** How many features (default 24); their sizes are uneven (a Zipf-like spread). */
  readonly features?: number;
  readonly seed?: string | number;
}

/** Writes `root/kitty-specs/<NNN-slug>/execution.events.jsonl` for each feature. */
export async function generateProject(
  root: string,
  options: ProjectOptions,
): Promise<GeneratedStats> {
  const featureCount = options.features ?? 24;
  const seed = options.seed ?? 1;
  const rng = new Rng(`project:${seed}`);
  const features: FeatureLog[] = [];
  const weights: number[] = [];
  for (let i = 0; i < featureCount; i++) {
    const slug = slugOf(i);
    const dir = join(root, FEATURES_FOLDER, slug);
    await mkdir(dir, { recursive: true });
    const path = join(dir, LOG_FILE);
    await writeFile(path, "");
    features.push(new FeatureLog(slug, path, 0, rng));
    // Uneven: a few big features, many small ones (shuffled, so size is not the number's order).
    weights.push((0.7 + 0.6 * rng.next()) / (1 + ((i * 7) % featureCount)) ** 0.9);
  }
  const timeline: Timeline = {
    micros: Date.UTC(2025, 5, 2, 8) * 1000,
    rng,
    ulid: monotonicFactory(new Rng(`ulid:${seed}`).next),
  };
  const stats = await writeEvents(timeline, features, weights, options.events);
  return { ...stats, features: features.map(({ slug, path, events }) => ({ slug, path, events })) };
}

interface LogTail {
  readonly lamport: number;
  readonly micros: number;
  readonly eventId: string | null;
}

/** The highest clock and latest time among the last valid lines of a log. */
async function readTail(path: string): Promise<LogTail> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (length < size) lines.shift(); // the first line is partial
    let tail: LogTail = { lamport: 0, micros: 0, eventId: null };
    for (const line of lines) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof value !== "object" || value === null) continue;
      const { lamport_clock, timestamp, event_id } = value as Record<string, unknown>;
      if (typeof lamport_clock !== "number" || typeof timestamp !== "string") continue;
      const micros = Date.parse(timestamp) * 1000;
      if (lamport_clock >= tail.lamport) {
        tail = {
          lamport: lamport_clock,
          micros: Math.max(tail.micros, micros),
          eventId: typeof event_id === "string" ? event_id : tail.eventId,
        };
      } else tail = { ...tail, micros: Math.max(tail.micros, micros) };
    }
    return tail;
  } finally {
    await file.close();
  }
}

/**
 * Appends `count` realistic events to a generated project, spread over its features by their log
 * sizes, each feature's Lamport clock and time continued (from the tail of its log).
 */
export async function appendEvents(
  root: string,
  count: number,
  seed: string | number,
): Promise<GeneratedStats> {
  const rng = new Rng(`append:${seed}`);
  const features: FeatureLog[] = [];
  const weights: number[] = [];
  let micros = 0;
  const slugs = (await readdir(join(root, FEATURES_FOLDER))).sort();
  for (const slug of slugs) {
    const path = join(root, FEATURES_FOLDER, slug, LOG_FILE);
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size === 0) continue;
    const tail = await readTail(path);
    const feature = new FeatureLog(slug, path, tail.lamport, rng);
    feature.lastEventId = tail.eventId;
    features.push(feature);
    weights.push(size);
    micros = Math.max(micros, tail.micros);
  }
  if (features.length === 0) throw new Error(`no feature logs under ${root} to append to`);
  const timeline: Timeline = { micros, rng, ulid: monotonicFactory(new Rng(`ulid+:${seed}`).next) };
  const stats = await writeEvents(timeline, features, weights, count);
  return { ...stats, features: features.map(({ slug, path, events }) => ({ slug, path, events })) };
}

/** Writes one feature's log of `count` events at `path` (the earlier bench's entry point). */
export async function generateLog(path: string, count: number, slug = "043-bench"): Promise<void> {
  const rng = new Rng(`log:${slug}`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, "");
  const feature = new FeatureLog(slug, path, 0, rng);
  const timeline: Timeline = {
    micros: Date.UTC(2026, 0, 1) * 1000,
    rng,
    ulid: monotonicFactory(new Rng(`ulid:${slug}`).next),
  };
  await writeEvents(timeline, [feature], [1], count);
}

/**
 * Checks the hand-rolled line writer against `createEvent` + `serializeEvent` on `count` events
 * drawn as the generator draws them; throws on the first line that differs.
 */
export function selfCheck(count = 20_000): void {
  const rng = new Rng("self-check");
  const ulid = monotonicFactory(new Rng("self-check-ulid").next);
  const feature = new FeatureLog("042-self-check", "/dev/null", 0, rng);
  let micros = Date.UTC(2025, 0, 1) * 1000;
  const costs = [0, 1, 15, 0.5, 0.00001, 0.000123, 1e-7, 123.456789];
  for (let i = 0; i < count; i++) {
    micros += rng.chance(0.01) ? 1_000_000 : rng.int(1, 60e6);
    let event = nextEvent(rng, ulid, feature, micros);
    const cost = costs[i];
    if (cost !== undefined) event = { ...event, payload: { ...event.payload, cost_usd: cost } };
    const ours = eventLine(event);
    const input = { ...event, event_type: "ExecutionEvent" };
    const reference = serializeEvent(createEvent(input), EXECUTION_FLOAT_KEYS);
    if (ours !== reference) {
      throw new Error(`generator line differs from serializeEvent:\n  ${ours}\n  ${reference}`);
    }
  }
}
