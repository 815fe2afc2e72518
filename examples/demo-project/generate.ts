// Writes the demo project (kitty-specs/ and .gitignore) beside this file: feature specs,
// work-package prompts, and telemetry logs whose numbers are synthetic but shaped like what each
// agent CLI really reports. Deterministic: every run writes the same bytes.
// Usage: npx tsx examples/demo-project/generate.ts
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createEvent, type Event, serializeEvent } from "../../src/events/event.js";
import { toPythonJson } from "../../src/events/py-json.js";
import { utcTimestampFromMicros } from "../../src/events/timestamp.js";
import { CLOCK_FILE, EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import {
  EXECUTION_EVENT_TYPE,
  EXECUTION_FLOAT_KEYS,
  type ExecutionPayload,
  type Role,
} from "../../src/telemetry/execution-payload.js";
import { type Agent, FEATURES, type FeaturePlan, type Weighted } from "./features.js";

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32, seeded by FNV-1a of a string): one stream per feature, so editing
// one feature's plan leaves the other features' data unchanged.

class Rng {
  #state: number;

  constructor(seed: string) {
    let h = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    this.#state = h >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Spread evenly on a log scale, as token counts and durations are. */
  logBetween(min: number, max: number): number {
    return Math.exp(this.between(Math.log(min), Math.log(max)));
  }

  pick<T>(items: Weighted<T>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
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
}

// ---------------------------------------------------------------------------------------------
// What the agents report (../shared/fixtures/agent-outputs/FORMATS.md), normalised as DESIGN §4.

const MODELS: Readonly<Record<Agent, Readonly<Record<Role, Weighted<string>>>>> = {
  claude: {
    implementer: [
      ["claude-sonnet-4-5-20250929", 0.8],
      ["claude-opus-4-6", 0.2],
    ],
    reviewer: [
      ["claude-sonnet-4-5-20250929", 0.5],
      ["claude-opus-4-6", 0.3],
      ["claude-haiku-4-5-20251001", 0.2],
    ],
    specifier: [
      ["claude-opus-4-6", 0.7],
      ["claude-sonnet-4-5-20250929", 0.3],
    ],
    planner: [
      ["claude-opus-4-6", 0.6],
      ["claude-sonnet-4-5-20250929", 0.4],
    ],
    merger: [
      ["claude-haiku-4-5-20251001", 0.6],
      ["claude-sonnet-4-5-20250929", 0.4],
    ],
  },
  codex: everyRole([
    ["gpt-5-codex", 0.55],
    ["gpt-5.1-codex-max", 0.45],
  ]),
  gemini: everyRole([
    ["gemini-2.5-pro", 0.5],
    ["gemini-3-pro-preview", 0.5],
  ]),
  opencode: everyRole([
    ["anthropic/claude-sonnet-4.5", 0.8],
    ["openai/gpt-5-codex", 0.2],
  ]),
  copilot: everyRole([
    ["claude-sonnet-4.5", 0.6],
    ["gpt-5", 0.4],
  ]),
};

function everyRole(models: Weighted<string>): Readonly<Record<Role, Weighted<string>>> {
  return {
    implementer: models,
    reviewer: models,
    specifier: models,
    planner: models,
    merger: models,
  };
}

/** List prices in USD per million tokens (input, output, cache read, cache write) of the models
 * whose agents report a cost: Claude Code and OpenCode compute theirs at these rates. */
const LIST_PRICES: Readonly<Record<string, readonly [number, number, number, number]>> = {
  "claude-sonnet-4-5-20250929": [3, 15, 0.3, 3.75],
  "claude-opus-4-6": [5, 25, 0.5, 6.25],
  "claude-haiku-4-5-20251001": [1, 5, 0.1, 1.25],
  "anthropic/claude-sonnet-4.5": [3, 15, 0.3, 3.75],
  "openai/gpt-5-codex": [1.25, 10, 0.125, 0],
};

const ROLE_SCALE: Readonly<Record<Role, number>> = {
  implementer: 1,
  reviewer: 0.35,
  specifier: 0.5,
  planner: 0.6,
  merger: 0.2,
};

/** Wall time in ms of a successful run, by role. */
const DURATION_MS: Readonly<Record<Role, readonly [number, number]>> = {
  implementer: [4 * 60_000, 25 * 60_000],
  reviewer: [40_000, 8 * 60_000],
  specifier: [2 * 60_000, 10 * 60_000],
  planner: [90_000, 12 * 60_000],
  merger: [30_000, 4 * 60_000],
};

const FAILURE_RATE: Readonly<Record<Role, number>> = {
  implementer: 0.05,
  reviewer: 0.025,
  specifier: 0,
  planner: 0,
  merger: 0,
};

interface Failure {
  readonly error: string;
  readonly exitCode: number;
  /** The part of a full run's usage that the agent still reported (0: none at all). */
  readonly usageShare: number;
  /** Killed by the orchestrator's timeout. */
  readonly timeout?: boolean;
}

const FAILURES: Readonly<Record<Agent, readonly Failure[]>> = {
  claude: [
    {
      error:
        "API Error: 429 rate_limit_error: This request would exceed your organization's rate limit of 800,000 input tokens per minute",
      exitCode: 1,
      usageShare: 0.3,
    },
    { error: "error_max_turns: Reached maximum number of turns (60)", exitCode: 1, usageShare: 1 },
  ],
  codex: [
    {
      error: "You've hit your usage limit. Try again in 2 hours 41 minutes.",
      exitCode: 1,
      usageShare: 0,
    },
    {
      error: "stream disconnected before completion: request timed out",
      exitCode: 1,
      usageShare: 0,
    },
  ],
  gemini: [
    { error: "agent timed out after 1500 s", exitCode: 124, usageShare: 0, timeout: true },
    {
      error: "FatalTurnLimitedError: Reached max session turns for this session.",
      exitCode: 53,
      usageShare: 1,
    },
  ],
  opencode: [{ error: "APIError: Overloaded", exitCode: 1, usageShare: 0.4 }],
  copilot: [{ error: "Error: Request timed out", exitCode: 1, usageShare: 0 }],
};

/** Chances that a review rejects the work package, by review round. */
const REJECTION_RATE = [0.55, 0.4, 0.25] as const;

interface Usage {
  readonly input: number | null;
  readonly output: number | null;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  readonly reasoning?: number;
}

/** One invocation's usage, in the normalised meaning (uncached input; output with reasoning). */
function usageFor(rng: Rng, agent: Agent, model: string, role: Role): Usage {
  const scale = ROLE_SCALE[role] * (model.includes("haiku") ? 0.6 : 1);
  const tokens = (min: number, max: number): number => Math.round(rng.logBetween(min, max) * scale);
  const times = (n: number, min: number, max: number): number =>
    Math.round(n * rng.between(min, max));
  switch (agent) {
    case "claude": {
      const input = tokens(20_000, 150_000);
      const output = tokens(2_000, 40_000);
      return {
        input,
        output,
        cacheRead: times(input, 5, 20),
        cacheWrite: times(input, 0.2, 0.9),
        ...(rng.chance(0.6) && { reasoning: times(output, 0.1, 0.45) }),
      };
    }
    case "codex": {
      // Codex reports cached input inside input_tokens; the invoker subtracts it.
      const input = tokens(30_000, 400_000);
      const output = tokens(3_000, 40_000);
      return {
        input,
        output,
        cacheRead: times(input, 1.5, 8),
        reasoning: times(output, 0.35, 0.75),
      };
    }
    case "gemini": {
      // Gemini's candidates + thoughts make the output; thoughts are the reasoning part.
      const input = tokens(20_000, 350_000);
      const output = tokens(2_000, 30_000);
      return {
        input,
        output,
        ...(rng.chance(0.65) && { cacheRead: times(input, 0.3, 3) }),
        reasoning: times(output, 0.2, 0.6),
      };
    }
    case "opencode": {
      const input = tokens(10_000, 100_000);
      const output = tokens(2_000, 35_000);
      if (model.startsWith("local/")) return { input, output };
      return {
        input,
        output,
        cacheRead: times(input, 3, 15),
        ...(model.startsWith("anthropic/") && { cacheWrite: times(input, 0.1, 0.6) }),
        ...(rng.chance(0.3) && { reasoning: times(output, 0.1, 0.3) }),
      };
    }
    case "copilot":
      // Copilot reports no input tokens, and output tokens only per message, when at all.
      return { input: null, output: rng.chance(0.4) ? tokens(1_000, 20_000) : null };
  }
  return agent satisfies never;
}

function scaleUsage(usage: Usage, share: number): Usage {
  const part = (n: number | null | undefined) => (n == null ? n : Math.round(n * share));
  return {
    input: part(usage.input) ?? null,
    output: part(usage.output) ?? null,
    ...(usage.cacheRead !== undefined && { cacheRead: Math.round(usage.cacheRead * share) }),
    ...(usage.cacheWrite !== undefined && { cacheWrite: Math.round(usage.cacheWrite * share) }),
    ...(usage.reasoning !== undefined && { reasoning: Math.round(usage.reasoning * share) }),
  };
}

/** The cost the agent itself reports, or null for agents (and models) that report none. */
function reportedCost(rng: Rng, agent: Agent, model: string, usage: Usage): number | null {
  const prices = LIST_PRICES[model];
  if (!prices || (agent !== "claude" && agent !== "opencode")) return null;
  const [input, output, cacheRead, cacheWrite] = prices;
  let usd =
    ((usage.input ?? 0) * input +
      (usage.output ?? 0) * output +
      (usage.cacheRead ?? 0) * cacheRead +
      (usage.cacheWrite ?? 0) * cacheWrite) /
    1e6;
  // Claude Code's total also covers its background Haiku calls, which its usage leaves out.
  if (agent === "claude") usd += rng.between(0.0004, 0.006);
  return Math.round(usd * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Simulating a feature: specify, plan, then implement and review each work package.

interface Run {
  readonly wpId: string;
  readonly role: Role;
  readonly agent: Agent;
  readonly model: string;
  readonly node: "cli" | "orchestrator";
  readonly durationMs: number;
  readonly usage: Usage | null;
  readonly costUsd: number | null;
  readonly failure: Failure | null;
  /** The run this one follows from (a review of an implementation, a retry), by index. */
  readonly cause: number | null;
  /** Written by the Python CLI before the extension keys existed. */
  readonly legacy: boolean;
}

interface Invocation {
  readonly wpId: string;
  readonly role: Role;
  readonly agent: Agent;
  readonly cause?: number | null;
  readonly legacy?: boolean;
}

function invoke(rng: Rng, plan: FeaturePlan, who: Invocation): Run {
  const { role, agent } = who;
  const models =
    agent === "opencode" && plan.opencodeModels ? plan.opencodeModels : MODELS[agent][role];
  const model = rng.pick(models);
  const failure = rng.chance(FAILURE_RATE[role]) ? rng.any(FAILURES[agent]) : null;
  const share = failure ? failure.usageShare : 1;
  const usage = share === 0 ? null : scaleUsage(usageFor(rng, agent, model, role), share);
  const [min, max] = DURATION_MS[role];
  let durationMs = Math.round(rng.logBetween(min, max) * Math.max(share, 0.15));
  if (failure?.timeout) durationMs = 1_500_000 + rng.int(5, 2_500);
  else if (failure && share === 0) durationMs = Math.round(rng.logBetween(30_000, 180_000));
  return {
    wpId: who.wpId,
    role,
    agent,
    model,
    node: who.wpId === "N/A" ? "cli" : plan.node,
    durationMs: Math.max(durationMs, 30_000),
    usage,
    costUsd: usage ? reportedCost(rng, agent, model, usage) : null,
    failure,
    cause: who.cause ?? null,
    legacy: who.legacy ?? false,
  };
}

function fallbackFor(rng: Rng, plan: FeaturePlan, failed: Agent): Agent {
  const others = plan.implementers.filter(([agent]) => agent !== failed);
  if (others.length > 0) return rng.pick(others);
  return failed === "claude" ? "codex" : "claude";
}

function wpIdOf(n: number): string {
  return `WP${String(n).padStart(2, "0")}`;
}

/** How many work packages were reviewed, and how many implemented (at most one more). */
function progressOf(plan: FeaturePlan): { reviewed: number; implemented: number } {
  const reviewed = plan.reviewedThrough ?? plan.workPackages.length;
  return { reviewed, implemented: Math.min(reviewed + 1, plan.workPackages.length) };
}

function simulate(rng: Rng, plan: FeaturePlan): Run[] {
  const runs: Run[] = [];
  const add = (who: Invocation): number => runs.push(invoke(rng, plan, who)) - 1;
  const failed = (index: number): boolean => runs[index]?.failure != null;
  const lead = rng.pick(plan.specifiers);
  // The first feature was specified before the team upgraded the CLI.
  add({ wpId: "N/A", role: "specifier", agent: lead, legacy: plan === FEATURES[0] });
  if (rng.chance(0.6)) add({ wpId: "N/A", role: "specifier", agent: lead });
  add({ wpId: "N/A", role: "planner", agent: lead });
  add({ wpId: "N/A", role: "planner", agent: rng.pick(plan.specifiers) });
  if (rng.chance(0.4)) add({ wpId: "N/A", role: "planner", agent: lead });

  const { reviewed, implemented } = progressOf(plan);
  for (let n = 1; n <= implemented; n++) {
    const wpId = wpIdOf(n);
    const implementer = rng.pick(plan.implementers);
    const reviewer = rng.pick(plan.reviewers);
    // Developers at the CLI implement a work package one subtask per session; the orchestrator
    // hands the whole work package to one session.
    const sessions = plan.node === "cli" ? (plan.workPackages[n - 1]?.subtasks.length ?? 1) : 1;
    let cause: number | null = null;
    for (let round = 0; ; round++) {
      let impl = -1;
      for (let session = 0; session < (round === 0 ? sessions : 1); session++) {
        let agent = implementer;
        impl = add({ wpId, role: "implementer", agent, cause });
        for (let retry = 0; retry < 2 && failed(impl); retry++) {
          agent = fallbackFor(rng, plan, agent);
          impl = add({ wpId, role: "implementer", agent, cause: impl });
        }
      }
      if (n > reviewed) break;
      let review = add({ wpId, role: "reviewer", agent: reviewer, cause: impl });
      while (failed(review))
        review = add({ wpId, role: "reviewer", agent: reviewer, cause: review });
      if (!rng.chance(REJECTION_RATE[round] ?? 0)) break;
      cause = review;
    }
  }
  if (plan.reviewedThrough === undefined) add({ wpId: "N/A", role: "merger", agent: "claude" });
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Time: working hours (08:00-18:00 UTC, Monday to Friday), in microseconds since the epoch.

const SECOND = 1_000_000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const OPEN = 8 * HOUR;
const CLOSE = 18 * HOUR;

function isWorkday(midnight: number): boolean {
  const weekday = new Date(midnight / 1000).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

function nextWorkingMoment(t: number): number {
  for (let midnight = t - (t % DAY); ; midnight += DAY) {
    if (isWorkday(midnight) && t < midnight + CLOSE) return Math.max(t, midnight + OPEN);
  }
}

function addWorkingTime(t: number, amount: number): number {
  let now = nextWorkingMoment(t);
  let left = amount;
  for (;;) {
    const close = now - (now % DAY) + CLOSE;
    if (now + left < close) return now + left;
    left -= close - now;
    now = nextWorkingMoment(close);
  }
}

function workingTimeBetween(from: number, to: number): number {
  let total = 0;
  for (let midnight = from - (from % DAY); midnight < to; midnight += DAY) {
    if (!isWorkday(midnight)) continue;
    total += Math.max(0, Math.min(to, midnight + CLOSE) - Math.max(from, midnight + OPEN));
  }
  return total;
}

/** Each run's end time (when its event is emitted), spread over the feature's window. */
function schedule(rng: Rng, plan: FeaturePlan, runs: readonly Run[]): number[] {
  const start = Date.parse(`${plan.window[0]}T00:00:00Z`) * 1000 + OPEN;
  const end = Date.parse(`${plan.window[1]}T00:00:00Z`) * 1000 + CLOSE;
  // The orchestrator starts a review or a retry seconds after the run it follows; other gaps
  // (people reading, meetings, other work) are random and fill the window.
  const immediate = runs.map((run) => run.node === "orchestrator" && run.cause !== null);
  // The first run starts within the first hours of the window.
  immediate[0] = true;
  const gaps = runs.map((_, i) =>
    i === 0
      ? rng.between(5 * 60, 3 * 3600) * SECOND
      : immediate[i]
        ? rng.between(2, 40) * SECOND
        : -Math.log(1 - rng.next()),
  );
  const busy = runs.reduce((sum, run) => sum + run.durationMs * 1000, 0);
  const fixed = gaps.reduce((sum, gap, i) => sum + (immediate[i] ? gap : 0), 0);
  const random = gaps.reduce((sum, gap, i) => sum + (immediate[i] ? 0 : gap), 0);
  const fill = rng.between(0.88, 0.97) * workingTimeBetween(start, end);
  const scale = (fill - busy - fixed) / random;
  let t = start;
  return runs.map((run, i) => {
    const gap = immediate[i] ? (gaps[i] ?? 0) : (gaps[i] ?? 0) * scale;
    const began = addWorkingTime(t, Math.round(gap));
    t = began + run.durationMs * 1000 + rng.int(0, 999);
    return t;
  });
}

// ---------------------------------------------------------------------------------------------
// Ids.

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const HEX = "0123456789abcdef";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomChars(rng: Rng, alphabet: string, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += alphabet.charAt(rng.int(0, alphabet.length - 1));
  return out;
}

/** A ULID: 48-bit millisecond time then 80 random bits, Crockford base32, upper-case. */
function ulidAt(rng: Rng, ms: number): string {
  let time = "";
  for (let rest = ms, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) {
    time = CROCKFORD.charAt(rest % 32) + time;
  }
  return time + randomChars(rng, CROCKFORD, 16);
}

function uuid(rng: Rng, version: "4" | "7", ms: number): string {
  const prefix = version === "7" ? ms.toString(16).padStart(12, "0") : randomChars(rng, HEX, 12);
  const variant = "89ab".charAt(rng.int(0, 3));
  const hex = `${prefix}${version}${randomChars(rng, HEX, 3)}${variant}${randomChars(rng, HEX, 15)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The session id in each agent's own form (Codex threads are UUIDv7, OpenCode has `ses_`). */
function sessionIdFor(rng: Rng, agent: Agent, ms: number): string {
  switch (agent) {
    case "codex":
      return uuid(rng, "7", ms);
    case "opencode":
      return `ses_${randomChars(rng, HEX, 12)}${randomChars(rng, BASE62, 14)}`;
    case "claude":
    case "gemini":
    case "copilot":
      return uuid(rng, "4", ms);
  }
  return agent satisfies never;
}

// ---------------------------------------------------------------------------------------------
// Events and files.

function payloadOf(run: Run, sessionId: string | null): ExecutionPayload {
  const { usage } = run;
  const reference: ExecutionPayload = {
    wp_id: run.wpId,
    agent: run.agent,
    role: run.role,
    model: run.model,
    input_tokens: usage?.input ?? null,
    output_tokens: usage?.output ?? null,
    cost_usd: run.costUsd,
    duration_ms: run.durationMs,
    success: run.failure === null,
    error: run.failure?.error ?? null,
    exit_code: run.failure?.exitCode ?? 0,
  };
  if (run.legacy) return reference;
  return {
    ...reference,
    ...(usage?.cacheRead !== undefined && { cache_read_tokens: usage.cacheRead }),
    ...(usage?.cacheWrite !== undefined && { cache_write_tokens: usage.cacheWrite }),
    ...(usage?.reasoning !== undefined && { reasoning_tokens: usage.reasoning }),
    ...(run.costUsd !== null && { cost_source: "reported" as const }),
    ...(sessionId !== null && { session_id: sessionId }),
  };
}

function featureEvents(plan: FeaturePlan): Event[] {
  const rng = new Rng(plan.slug);
  const runs = simulate(rng, plan);
  const ends = schedule(rng, plan, runs);
  const ids = new Rng(`${plan.slug}/ids`);
  const events: Event[] = [];
  runs.forEach((run, i) => {
    const end = ends[i] ?? 0;
    const ms = Math.floor(end / 1000);
    const startMs = ms - run.durationMs;
    // Only the orchestrator knows the session and which run caused this one.
    const orchestrated = run.node === "orchestrator";
    const cause = orchestrated && run.cause !== null ? events[run.cause] : undefined;
    events.push(
      createEvent({
        event_id: ulidAt(ids, ms),
        event_type: EXECUTION_EVENT_TYPE,
        aggregate_id: plan.slug,
        payload: payloadOf(run, orchestrated ? sessionIdFor(ids, run.agent, startMs) : null),
        timestamp: utcTimestampFromMicros(end),
        node_id: `${run.node}:${run.wpId}`,
        lamport_clock: i + 1,
        causation_id: cause?.event_id ?? null,
      }),
    );
  });
  return events;
}

/** `{node_id: last clock}`, as the Python clock file holds it. */
function clockFileOf(events: readonly Event[]): string {
  const last: Record<string, number> = {};
  for (const event of events) last[event.node_id] = event.lamport_clock;
  return toPythonJson(last);
}

function specOf(plan: FeaturePlan, events: readonly Event[]): string {
  const { reviewed } = progressOf(plan);
  const status = reviewed === plan.workPackages.length ? "Merged" : "In progress";
  return [
    `# Feature Specification: ${plan.title}`,
    "",
    `**Feature**: \`${plan.slug}\``,
    `**Created**: ${events[0]?.timestamp.slice(0, 10) ?? plan.window[0]}`,
    `**Status**: ${status}`,
    "",
    "## Overview",
    "",
    plan.overview,
    "",
    "## Functional requirements",
    "",
    ...plan.requirements.map((r, i) => `- **FR-${String(i + 1).padStart(3, "0")}**: ${r}`),
    "",
    "## Work packages",
    "",
    ...plan.workPackages.map((w, i) => `- ${wpIdOf(i + 1)}: ${w.title}`),
    "",
  ].join("\n");
}

function promptOf(plan: FeaturePlan, n: number): string {
  const wp = plan.workPackages[n - 1];
  if (!wp) throw new Error(`${plan.slug} has no work package ${n}`);
  const { reviewed, implemented } = progressOf(plan);
  const lane = n <= reviewed ? "done" : n <= implemented ? "for_review" : "planned";
  const ids = wp.subtasks.map((s) => s.split(" ")[0] ?? s);
  return [
    "---",
    `work_package_id: ${wpIdOf(n)}`,
    `title: ${JSON.stringify(wp.title)}`,
    `lane: ${lane}`,
    `dependencies: [${wp.dependencies.map(wpIdOf).join(", ")}]`,
    `subtasks: [${ids.join(", ")}]`,
    "---",
    `# ${wpIdOf(n)}: ${wp.title}`,
    "",
    "## Objective",
    "",
    wp.objective,
    "",
    "## Subtasks",
    "",
    ...wp.subtasks.map((s) => `- [${lane === "planned" ? " " : "x"}] ${s}`),
    "",
    "## Definition of done",
    "",
    "- Tests cover the new behaviour and pass in CI.",
    "- A reviewer approves the work package.",
    "",
  ].join("\n");
}

const GITIGNORE = `# spec-kitty telemetry: the store's index (a cache), a writer's lock, the report cache
kitty-specs/*/.execution.events.jsonl.index.json
kitty-specs/*/execution.events.jsonl.lock/
.kittify/cache/
`;

/** What `generateDemoProject` wrote. */
export interface DemoProjectSummary {
  readonly features: number;
  readonly events: number;
  /** Every file written, relative to the project folder, sorted. */
  readonly files: readonly string[];
}

/** Writes the demo project into `targetDir`, replacing its `kitty-specs/`. */
export async function generateDemoProject(targetDir: string): Promise<DemoProjectSummary> {
  const files = new Map<string, string>([[".gitignore", GITIGNORE]]);
  let eventCount = 0;
  for (const plan of FEATURES) {
    const dir = `kitty-specs/${plan.slug}`;
    const events = featureEvents(plan);
    eventCount += events.length;
    files.set(`${dir}/spec.md`, specOf(plan, events));
    plan.workPackages.forEach((wp, i) => {
      files.set(`${dir}/tasks/${wpIdOf(i + 1)}-${wp.slug}.md`, promptOf(plan, i + 1));
    });
    const lines = events.map((e) => `${serializeEvent(e, EXECUTION_FLOAT_KEYS)}\n`);
    files.set(`${dir}/${EVENT_LOG_FILE}`, lines.join(""));
    files.set(`${dir}/${CLOCK_FILE}`, clockFileOf(events));
  }
  await rm(join(targetDir, "kitty-specs"), { recursive: true, force: true });
  for (const [path, text] of files) {
    await mkdir(dirname(join(targetDir, path)), { recursive: true });
    await writeFile(join(targetDir, path), text);
  }
  return { features: FEATURES.length, events: eventCount, files: [...files.keys()].sort() };
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(resolve(script)).href) {
  const summary = await generateDemoProject(import.meta.dirname);
  const where = relative(process.cwd(), import.meta.dirname) || ".";
  process.stdout.write(
    `wrote ${summary.events} events in ${summary.features} features to ${where}\n`,
  );
}
