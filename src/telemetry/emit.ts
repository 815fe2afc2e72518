import { join } from "node:path";
import { MAX_LAMPORT_CLOCK } from "../events/clock.js";
import { createEvent, type Event } from "../events/event.js";
import { normalizeEventId } from "../events/event-id.js";
import { normalizeTimestamp, nowTimestamp } from "../events/timestamp.js";
import { CLOCK_FILE, FileClockStorage } from "./clock-file.js";
import {
  ATTRIBUTIONS,
  type Attribution,
  type CostSource,
  EVENT_SOURCES,
  type EventSource,
  EXECUTION_EVENT_TYPE,
  type ExecutionPayload,
  LONG_CONTEXT_THRESHOLDS,
  type LongContextPayload,
  type ModelUsagePayload,
  ROLES,
  type Role,
} from "./execution-payload.js";
import { SimpleJsonStore } from "./json-store.js";
import { EVENT_LOG_FILE } from "./project-paths.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

/** The log and clock file names inside a feature folder (the Python spec-kitty's). */
export { CLOCK_FILE, EVENT_LOG_FILE };

/** The token counts of one API request, as the provider billed it (the agents' `RequestUsage`). */
export interface EmitRequestUsage {
  /** Prompt tokens billed at the base rate. */
  readonly inputTokens: number;
  /** All generated tokens, reasoning included. */
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  /** Every cache write, whatever its lifetime. */
  readonly cacheWriteTokens: number;
  /** The part of `cacheWriteTokens` written with a 1-hour lifetime (billed at its own rate). */
  readonly cacheWrite1hTokens: number;
  /** The part of `outputTokens` that was reasoning (never billed twice). */
  readonly reasoningTokens: number;
}

/**
 * One model's share of an invocation (the shape of the agents' `ModelUsage`): its token sums,
 * what the agent said it cost (null: not said), and its requests when the agent showed them
 * one by one (their long-context sums are recorded from them), else none.
 */
export interface EmitModelUsage extends EmitRequestUsage {
  readonly model: string;
  readonly costUsd: number | null;
  readonly requests?: readonly EmitRequestUsage[];
}

/** What is known about one agent invocation, beyond who ran it. Absent means unknown. */
export interface EmitOptions {
  /** The main model of the run; default: the first of `models`. */
  readonly model?: string | null;
  /** With `models`, the totals written are the models' sums (a differing total is warned of). */
  readonly inputTokens?: number | null;
  readonly outputTokens?: number | null;
  readonly cacheReadTokens?: number | null;
  /** Every cache write, whatever its lifetime. */
  readonly cacheWriteTokens?: number | null;
  /** The part of `cacheWriteTokens` written with a 1-hour lifetime. */
  readonly cacheWrite1hTokens?: number | null;
  readonly reasoningTokens?: number | null;
  /** Each model's share, when the run used several (or the agent showed its requests). */
  readonly models?: readonly EmitModelUsage[];
  readonly costUsd?: number | null;
  /** A cost the agent reported that is known to be wrong: kept, never used. */
  readonly untrustedCostUsd?: number | null;
  /** Where the event comes from; default `emit`. */
  readonly source?: EventSource;
  /** Defaults to `reported` when `costUsd` is given. */
  readonly costSource?: CostSource;
  readonly durationMs?: number;
  readonly success?: boolean;
  readonly error?: string | null;
  readonly exitCode?: number | null;
  /** The emitter's identity; the event's node id is `<nodeId>:<wpId>`. Default `cli`. */
  readonly nodeId?: string;
  readonly causationId?: string | null;
  readonly sessionId?: string | null;
  /** How an imported event was attributed to its feature and work package. */
  readonly attribution?: Attribution;
  /**
   * The event's id when the caller derives it (an import: the same turn always makes the same
   * id, so a second save is skipped); default a new ULID.
   */
  readonly eventId?: string;
  /** When the invocation happened (an import: the turn's start); default now. */
  readonly timestamp?: string;
  /** Where the one warning of a failed emission goes; default stderr. */
  readonly warn?: WarningSink;
}

/**
 * Records one agent invocation as an ExecutionEvent in `<featureDir>/execution.events.jsonl`.
 *
 * Fire-and-forget: it never throws. Any failure (bad argument, unwritable folder, full disk)
 * becomes one warning and the result is `undefined`; otherwise it returns the saved event.
 */
export async function emitExecutionEvent(
  featureDir: string,
  featureSlug: string,
  wpId: string,
  agent: string,
  role: Role,
  options: EmitOptions = {},
): Promise<Event | undefined> {
  const warn = options.warn ?? stderrWarningSink;
  const logPath = join(featureDir, EVENT_LOG_FILE);
  try {
    const { payload, nodeId, fixedId, fixedTimestamp } = prepare(
      { wpId, agent, role, options },
      featureSlug,
      logPath,
      warn,
    );
    const clocks = new FileClockStorage(join(featureDir, CLOCK_FILE), { warn });
    const store = new SimpleJsonStore(logPath, { warn });
    let clockSaveError: unknown;
    const event = await store.appendNext(
      async (head) => {
        // Never below any clock the feature has seen, so the order follows emission even when
        // the clock file was lost or is corrupt; at the ceiling, keep recording on it.
        const seen = Math.max(await clocks.maxValue(), head.maxLamportClock);
        const lamport = Math.min(MAX_LAMPORT_CLOCK, 1 + seen);
        return createEvent({
          event_id: fixedId ?? head.mintEventId(),
          event_type: EXECUTION_EVENT_TYPE,
          aggregate_id: featureSlug,
          payload,
          timestamp: fixedTimestamp ?? nowTimestamp(),
          node_id: nodeId,
          lamport_clock: lamport,
          causation_id: options.causationId ?? null,
        });
      },
      async (saved) => {
        await clocks.save(saved.node_id, saved.lamport_clock).catch((e: unknown) => {
          clockSaveError = e;
        });
      },
    );
    if (clockSaveError !== undefined) {
      warn({
        code: "EMIT_INCOMPLETE",
        file: join(featureDir, CLOCK_FILE),
        message: `telemetry: event for ${featureSlug}/${wpId} saved, but the clock file was not updated: ${describe(clockSaveError)}`,
      });
    }
    return event ?? undefined;
  } catch (e) {
    warn({
      code: "EMIT_FAILED",
      file: logPath,
      message: `telemetry: could not record the ${role} run of ${agent} on ${featureSlug}/${wpId}: ${describe(e)}`,
    });
    return undefined;
  }
}

/** One invocation of a batch given to `emitExecutionEvents`. */
export interface EmitInvocation {
  readonly wpId: string;
  readonly agent: string;
  readonly role: Role;
  /** As for `emitExecutionEvent`; its `warn` is not used (the batch's is). */
  readonly options: EmitOptions;
}

/** What an invocation's event is made of, checked: its payload, node and fixed id or time. */
function prepare(
  { wpId, agent, role, options }: EmitInvocation,
  featureSlug: string,
  logPath: string,
  warn: WarningSink,
) {
  const problem = argumentProblem(featureSlug, wpId, agent, role, options);
  if (problem) throw new Error(problem);
  const totals = usageTotals(options);
  if (totals.mismatch !== null) {
    warn({
      code: "EMIT_USAGE_MISMATCH",
      file: logPath,
      message: `telemetry: the ${role} run of ${agent} on ${featureSlug}/${wpId} gave totals that are not the sums of its models (${totals.mismatch}); the models' sums are recorded`,
    });
  }
  const payload = buildPayload(wpId, agent, role, { ...options, ...totals.usage });
  const nodeId = `${options.nodeId ?? "cli"}:${wpId}`;
  const fixedId = options.eventId === undefined ? undefined : normalizeEventId(options.eventId);
  const fixedTimestamp =
    options.timestamp === undefined ? undefined : normalizeTimestamp(options.timestamp);
  if (typeof fixedId === "object") throw new Error(`eventId: ${fixedId.error}`);
  if (typeof fixedTimestamp === "object") throw new Error(`timestamp: ${fixedTimestamp.error}`);
  return { payload, nodeId, fixedId, fixedTimestamp, causationId: options.causationId ?? null };
}

/**
 * Records many invocations of one feature at once (an import), as `emitExecutionEvent` does
 * one: in order, under one lock and in one write, skipping ids already stored. Never throws.
 * Per invocation: its event when written, null when its id was stored already, undefined when
 * it failed (one warning each).
 */
export async function emitExecutionEvents(
  featureDir: string,
  featureSlug: string,
  invocations: readonly EmitInvocation[],
  warn: WarningSink = stderrWarningSink,
): Promise<(Event | null | undefined)[]> {
  const logPath = join(featureDir, EVENT_LOG_FILE);
  const results: (Event | null | undefined)[] = invocations.map(() => undefined);
  const failed = (i: EmitInvocation, e: unknown) =>
    warn({
      code: "EMIT_FAILED",
      file: logPath,
      message: `telemetry: could not record the ${i.role} run of ${i.agent} on ${featureSlug}/${i.wpId}: ${describe(e)}`,
    });
  const ready: { index: number; prepared: ReturnType<typeof prepare> }[] = [];
  for (const [index, invocation] of invocations.entries()) {
    try {
      ready.push({ index, prepared: prepare(invocation, featureSlug, logPath, warn) });
    } catch (e) {
      failed(invocation, e);
    }
  }
  if (ready.length === 0) return results;
  try {
    const clocks = new FileClockStorage(join(featureDir, CLOCK_FILE), { warn });
    const store = new SimpleJsonStore(logPath, { warn });
    const built = new Map<string, number>();
    let clockSaveError: unknown;
    const written = await store.appendMany(
      async (head) => {
        let seen = Math.max(await clocks.maxValue(), head.maxLamportClock);
        return ready.map(({ index, prepared: p }) => {
          seen = Math.min(MAX_LAMPORT_CLOCK, seen + 1);
          const event = createEvent({
            event_id: p.fixedId ?? head.mintEventId(),
            event_type: EXECUTION_EVENT_TYPE,
            aggregate_id: featureSlug,
            payload: p.payload,
            timestamp: p.fixedTimestamp ?? nowTimestamp(),
            node_id: p.nodeId,
            lamport_clock: seen,
            causation_id: p.causationId,
          });
          if (!built.has(event.event_id)) built.set(event.event_id, index);
          return event;
        });
      },
      async (events) => {
        // One save per node, of its highest clock in the batch (the last of its events).
        const last = new Map(events.map((e) => [e.node_id, e.lamport_clock]));
        for (const [node, clock] of last) {
          await clocks.save(node, clock).catch((e: unknown) => {
            clockSaveError = e;
          });
        }
      },
    );
    for (const { index } of ready) results[index] = null;
    for (const event of written) {
      const index = built.get(event.event_id);
      if (index !== undefined) results[index] = event;
    }
    if (clockSaveError !== undefined) {
      warn({
        code: "EMIT_INCOMPLETE",
        file: join(featureDir, CLOCK_FILE),
        message: `telemetry: ${written.length} events for ${featureSlug} saved, but the clock file was not updated: ${describe(clockSaveError)}`,
      });
    }
  } catch (e) {
    for (const { index } of ready) {
      results[index] = undefined;
      failed(invocations[index] as EmitInvocation, e);
    }
  }
  return results;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const TOTALS = [
  ["inputTokens", "input"],
  ["outputTokens", "output"],
  ["cacheReadTokens", "cache read"],
  ["cacheWriteTokens", "cache write"],
  ["cacheWrite1hTokens", "1-hour cache write"],
  ["reasoningTokens", "reasoning"],
] as const satisfies readonly (readonly [keyof EmitRequestUsage, string])[];

type Totals = { -readonly [K in keyof EmitRequestUsage]?: number | null } & {
  model?: string | null;
};

/**
 * With `models`, the totals to record are their sums (the Python reader sums the top-level
 * fields, our report the models): a caller's total that differs is named in `mismatch`.
 */
function usageTotals(o: EmitOptions): { usage: Totals; mismatch: string | null } {
  const models = o.models ?? [];
  if (models.length === 0) return { usage: {}, mismatch: null };
  const usage: Totals = { model: o.model ?? models[0]?.model ?? null };
  const differences: string[] = [];
  for (const [key, label] of TOTALS) {
    const sum = models.reduce((n, m) => n + m[key], 0);
    const given = o[key];
    // Reasoning is for information only, and an agent that does not count it apart (Claude)
    // leaves it unknown: models holding 0 must not turn that into "no reasoning".
    if (key === "reasoningTokens" && given == null) continue;
    if (given != null && given !== sum) differences.push(`${label} ${given} vs ${sum}`);
    usage[key] = sum;
  }
  return { usage, mismatch: differences.length > 0 ? differences.join(", ") : null };
}

/**
 * Per threshold some request exceeded, the sums of those requests (cumulative: a request
 * above 272k counts above 200k too). The prompt is every input token, cached or not.
 */
function longContext(requests: readonly EmitRequestUsage[]): LongContextPayload[] {
  const entries: LongContextPayload[] = [];
  for (const threshold of LONG_CONTEXT_THRESHOLDS) {
    const above = requests.filter(
      (r) => r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens > threshold,
    );
    if (above.length === 0) continue;
    const sum = (key: keyof EmitRequestUsage) => above.reduce((n, r) => n + r[key], 0);
    entries.push({
      above_tokens: threshold,
      input_tokens: sum("inputTokens"),
      output_tokens: sum("outputTokens"),
      cache_read_tokens: sum("cacheReadTokens"),
      cache_write_tokens: sum("cacheWriteTokens"),
      cache_write_1h_tokens: sum("cacheWrite1hTokens"),
    });
  }
  return entries;
}

function modelPayload(m: EmitModelUsage): ModelUsagePayload {
  const long = longContext(m.requests ?? []);
  return {
    model: m.model,
    input_tokens: m.inputTokens,
    output_tokens: m.outputTokens,
    cache_read_tokens: m.cacheReadTokens,
    cache_write_tokens: m.cacheWriteTokens,
    cache_write_1h_tokens: m.cacheWrite1hTokens,
    reasoning_tokens: m.reasoningTokens,
    cost_usd: m.costUsd,
    ...(long.length > 0 && { long_context: long }),
  };
}

/**
 * Whether the per-model list only repeats the top-level fields: no models, or the event's own
 * model alone without long-context sums. It is then left out, so that a one-model run's line
 * keeps the reference shape and does not grow.
 */
function tellsNothingMore(models: readonly ModelUsagePayload[], model: string | null): boolean {
  const [only, ...more] = models;
  return only === undefined || (more.length === 0 && only.model === model && !only.long_context);
}

function buildPayload(wpId: string, agent: string, role: Role, o: EmitOptions): ExecutionPayload {
  const costUsd = o.costUsd ?? null;
  const costSource = o.costSource ?? (costUsd === null ? undefined : "reported");
  const models = (o.models ?? []).map(modelPayload);
  return {
    wp_id: wpId,
    agent,
    role,
    model: o.model ?? null,
    input_tokens: o.inputTokens ?? null,
    output_tokens: o.outputTokens ?? null,
    cost_usd: costUsd,
    duration_ms: Math.round(o.durationMs ?? 0),
    // An error message without an explicit outcome means the invocation failed.
    success: o.success ?? o.error == null,
    error: o.error ?? null,
    exit_code: o.exitCode === undefined ? 0 : o.exitCode,
    // Extensions are written only when known, so older readers see the reference shape.
    ...(o.cacheReadTokens != null && { cache_read_tokens: o.cacheReadTokens }),
    ...(o.cacheWriteTokens != null && { cache_write_tokens: o.cacheWriteTokens }),
    // Written only when some were: a log without 1-hour writes keeps its older shape.
    ...(o.cacheWrite1hTokens != null &&
      o.cacheWrite1hTokens > 0 && { cache_write_1h_tokens: o.cacheWrite1hTokens }),
    ...(o.reasoningTokens != null && { reasoning_tokens: o.reasoningTokens }),
    ...(costSource !== undefined && { cost_source: costSource }),
    ...(o.untrustedCostUsd != null && { untrusted_cost_usd: o.untrustedCostUsd }),
    ...(!tellsNothingMore(models, o.model ?? null) && { models }),
    ...(o.sessionId != null && { session_id: o.sessionId }),
    source: o.source ?? "emit",
    ...(o.attribution !== undefined && { attribution: o.attribution }),
  };
}

const TOKEN_OPTIONS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "cacheWrite1hTokens",
  "reasoningTokens",
] as const satisfies readonly (keyof EmitOptions)[];

/** What is wrong with one model's (or one request's) counts; null when all is well. */
function usageProblem(where: string, u: EmitRequestUsage): string | null {
  for (const [key] of TOTALS) {
    const value = u[key];
    if (!(Number.isSafeInteger(value) && value >= 0)) {
      return `${where}.${key} must be a non-negative integer; got ${value}`;
    }
  }
  if (u.cacheWrite1hTokens > u.cacheWriteTokens) {
    return `${where}.cacheWrite1hTokens (${u.cacheWrite1hTokens}) is part of cacheWriteTokens (${u.cacheWriteTokens}) and cannot exceed it`;
  }
  return null;
}

function modelsProblem(models: readonly EmitModelUsage[]): string | null {
  for (const [i, m] of models.entries()) {
    if (typeof m.model !== "string" || m.model.trim() === "") {
      return `models[${i}].model must be a non-empty string`;
    }
    // One entry per model: a report counts the event once in each model's row.
    if (models.findIndex((other) => other.model === m.model) !== i) {
      return `models[${i}].model repeats ${JSON.stringify(m.model)}: give each model once`;
    }
    const problem =
      usageProblem(`models[${i}]`, m) ??
      (m.requests ?? []).reduce<string | null>(
        (found, r, k) => found ?? usageProblem(`models[${i}].requests[${k}]`, r),
        null,
      );
    if (problem !== null) return problem;
    if (m.costUsd !== null && !(Number.isFinite(m.costUsd) && m.costUsd >= 0)) {
      return `models[${i}].costUsd must be a non-negative number or null; got ${m.costUsd}`;
    }
  }
  return null;
}

/** What is wrong with the arguments, in words a caller can act on; null when all is well. */
function argumentProblem(
  featureSlug: string,
  wpId: string,
  agent: string,
  role: string,
  o: EmitOptions,
): string | null {
  const nonEmpty = { featureSlug, wpId, agent, nodeId: o.nodeId ?? "cli" };
  for (const [name, value] of Object.entries(nonEmpty)) {
    if (typeof value !== "string" || value.trim() === "")
      return `${name} must be a non-empty string`;
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    return `role must be one of ${ROLES.join(", ")}; got ${JSON.stringify(role)}`;
  }
  for (const name of TOKEN_OPTIONS) {
    const value = o[name];
    if (value != null && !(Number.isSafeInteger(value) && value >= 0)) {
      return `${name} must be a non-negative integer; got ${value}`;
    }
  }
  if (o.costUsd != null && !(Number.isFinite(o.costUsd) && o.costUsd >= 0)) {
    return `costUsd must be a non-negative number; got ${o.costUsd}`;
  }
  const { untrustedCostUsd: untrusted } = o;
  if (untrusted != null && !(Number.isFinite(untrusted) && untrusted >= 0)) {
    return `untrustedCostUsd must be a non-negative number; got ${untrusted}`;
  }
  if (o.cacheWrite1hTokens != null && o.cacheWrite1hTokens > (o.cacheWriteTokens ?? 0)) {
    return `cacheWrite1hTokens (${o.cacheWrite1hTokens}) is part of cacheWriteTokens (${o.cacheWriteTokens ?? 0}) and cannot exceed it`;
  }
  if (o.source !== undefined && !(EVENT_SOURCES as readonly string[]).includes(o.source)) {
    return `source must be one of ${EVENT_SOURCES.join(", ")}; got ${JSON.stringify(o.source)}`;
  }
  if (o.attribution !== undefined && !(ATTRIBUTIONS as readonly string[]).includes(o.attribution)) {
    return `attribution must be one of ${ATTRIBUTIONS.join(", ")}; got ${JSON.stringify(o.attribution)}`;
  }
  const models = modelsProblem(o.models ?? []);
  if (models !== null) return models;
  if (o.durationMs !== undefined && !(Number.isFinite(o.durationMs) && o.durationMs >= 0)) {
    return `durationMs must be a non-negative number; got ${o.durationMs}`;
  }
  if (o.exitCode != null && !Number.isSafeInteger(o.exitCode)) {
    return `exitCode must be an integer; got ${o.exitCode}`;
  }
  if (o.causationId != null) {
    const id = normalizeEventId(o.causationId);
    if (typeof id !== "string") return `causationId: ${id.error}`;
  }
  return null;
}
