import { join } from "node:path";
import { MAX_LAMPORT_CLOCK } from "../events/clock.js";
import { createEvent, type Event } from "../events/event.js";
import { normalizeEventId } from "../events/event-id.js";
import { nowTimestamp } from "../events/timestamp.js";
import { CLOCK_FILE, FileClockStorage } from "./clock-file.js";
import {
  type CostSource,
  EXECUTION_EVENT_TYPE,
  type ExecutionPayload,
  ROLES,
  type Role,
} from "./execution-payload.js";
import { SimpleJsonStore } from "./json-store.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

/** The log and clock file names inside a feature folder (the Python spec-kitty's). */
export const EVENT_LOG_FILE = "execution.events.jsonl";
export { CLOCK_FILE };

/** What is known about one agent invocation, beyond who ran it. Absent means unknown. */
export interface EmitOptions {
  readonly model?: string | null;
  readonly inputTokens?: number | null;
  readonly outputTokens?: number | null;
  readonly cacheReadTokens?: number | null;
  readonly cacheWriteTokens?: number | null;
  readonly reasoningTokens?: number | null;
  readonly costUsd?: number | null;
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
    const problem = argumentProblem(featureSlug, wpId, agent, role, options);
    if (problem) throw new Error(problem);
    const payload = buildPayload(wpId, agent, role, options);
    const nodeId = `${options.nodeId ?? "cli"}:${wpId}`;
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
          event_id: head.mintEventId(),
          event_type: EXECUTION_EVENT_TYPE,
          aggregate_id: featureSlug,
          payload,
          timestamp: nowTimestamp(),
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

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function buildPayload(wpId: string, agent: string, role: Role, o: EmitOptions): ExecutionPayload {
  const costUsd = o.costUsd ?? null;
  const costSource = o.costSource ?? (costUsd === null ? undefined : "reported");
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
    ...(o.reasoningTokens != null && { reasoning_tokens: o.reasoningTokens }),
    ...(costSource !== undefined && { cost_source: costSource }),
    ...(o.sessionId != null && { session_id: o.sessionId }),
  };
}

const TOKEN_OPTIONS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
] as const satisfies readonly (keyof EmitOptions)[];

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
