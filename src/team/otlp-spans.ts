import { type Attributes, type HrTime, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { Event } from "../events/event.js";
import type { CostKind } from "../telemetry/cost.js";
import { type PicoUsd, usdForJson } from "../telemetry/money.js";
import { createHash } from "../telemetry/node-crypto.js";

/** Our own attributes, beside the GenAI semantic conventions' (`gen_ai.*`). */
export const ATTRIBUTE_NAMESPACE = "spec_kitty";

/** What an event cost, as the cost report counts it. */
export interface SpanCost {
  readonly cost: PicoUsd;
  readonly kind: CostKind;
}

const count = (value: unknown): number => (typeof value === "number" ? value : 0);
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The GenAI attributes of an event: `gen_ai.usage.input_tokens` counts every prompt token, the
 * cached ones included (the convention's meaning), and the cache parts are given beside it.
 */
export function genAiAttributes(payload: Readonly<Record<string, unknown>>): Attributes {
  const input = count(payload.input_tokens);
  const cacheRead = count(payload.cache_read_tokens);
  const cacheWrite = count(payload.cache_write_tokens);
  const attributes: Attributes = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.usage.input_tokens": input + cacheRead + cacheWrite,
    "gen_ai.usage.output_tokens": count(payload.output_tokens),
    "gen_ai.usage.cache_read.input_tokens": cacheRead,
    "gen_ai.usage.cache_creation.input_tokens": cacheWrite,
    "gen_ai.usage.reasoning.output_tokens": count(payload.reasoning_tokens),
  };
  const optional = {
    "gen_ai.agent.name": text(payload.agent),
    "gen_ai.request.model": text(payload.model),
    "gen_ai.conversation.id": text(payload.session_id),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

/** Our attributes: what the event cost, and where in the project it belongs. */
function specKittyAttributes(event: Event, cost: SpanCost): Attributes {
  const p = event.payload as Readonly<Record<string, unknown>>;
  const attributes: Attributes = {
    [`${ATTRIBUTE_NAMESPACE}.event_id`]: event.event_id,
    [`${ATTRIBUTE_NAMESPACE}.feature`]: event.aggregate_id,
    [`${ATTRIBUTE_NAMESPACE}.cost_usd`]: usdForJson(cost.cost),
    [`${ATTRIBUTE_NAMESPACE}.cost_source`]: cost.kind,
  };
  const optional = {
    [`${ATTRIBUTE_NAMESPACE}.wp_id`]: text(p.wp_id),
    [`${ATTRIBUTE_NAMESPACE}.role`]: text(p.role),
    [`${ATTRIBUTE_NAMESPACE}.source`]: text(p.source),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) attributes[key] = value;
  }
  if (typeof p.success === "boolean") attributes[`${ATTRIBUTE_NAMESPACE}.success`] = p.success;
  return attributes;
}

/**
 * Trace and span ids derived from the event id: a span sent twice (two clones exporting the
 * same merged log) is the same span to the backend.
 */
export function spanIdsOf(eventId: string): { traceId: string; spanId: string } {
  const digest = createHash("sha256").update(`spec-kitty:${eventId}`).digest("hex");
  return { traceId: digest.slice(0, 32), spanId: digest.slice(32, 48) };
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * The event as an `invoke_agent` span: it ends at the event's timestamp (when the invocation
 * was recorded) and lasts its `duration_ms`; a failed invocation has an error status.
 */
export function eventSpan(
  event: Event,
  cost: SpanCost,
  resource: Resource,
  instrumentationScope: InstrumentationScope,
): ReadableSpan {
  const p = event.payload as Readonly<Record<string, unknown>>;
  const endMs = Date.parse(event.timestamp);
  const durationMs = count(p.duration_ms);
  const { traceId, spanId } = spanIdsOf(event.event_id);
  const failed = p.success === false;
  const attributes = { ...genAiAttributes(p), ...specKittyAttributes(event, cost) };
  const error = text(p.error);
  if (failed) attributes["error.type"] = error === undefined ? "failure" : "agent_error";
  const agent = text(p.agent);
  return {
    name: agent === undefined ? "invoke_agent" : `invoke_agent ${agent}`,
    kind: SpanKind.INTERNAL,
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    startTime: hrTime(endMs - durationMs),
    endTime: hrTime(endMs),
    duration: hrTime(durationMs),
    status: failed
      ? { code: SpanStatusCode.ERROR, ...(error === undefined ? {} : { message: error }) }
      : { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
