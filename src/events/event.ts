import type { Static } from "typebox";
import * as Type from "typebox/type";
import { MAX_LAMPORT_CLOCK } from "./clock.js";
import { EventError } from "./errors.js";
import { checkEnvelope } from "./event-envelope.generated.js";
import { type EventId, normalizeEventId } from "./event-id.js";
import { type JsonObject, toPythonJson } from "./py-json.js";
import { firstSchemaError } from "./schema-first-error.js";
import { stringRecord } from "./string-record.js";
import { type IsoTimestamp, normalizeTimestamp } from "./timestamp.js";

/** Who emitted an event, e.g. `cli:WP01`; it also names the event's Lamport clock. */
export type NodeId = string & { readonly __brand: "NodeId" };

/**
 * The event envelope. Field names are those of the on-disk format (and of the Python
 * spec-kitty), so that a line read is an event with no renaming.
 */
export interface Event {
  readonly event_id: EventId;
  readonly event_type: string;
  readonly aggregate_id: string;
  readonly payload: JsonObject;
  readonly timestamp: IsoTimestamp;
  readonly node_id: NodeId;
  readonly lamport_clock: number;
  readonly causation_id: EventId | null;
}

/** What a caller gives to build an event: ids and timestamp in any accepted form. */
export interface EventInput {
  readonly event_id: string;
  readonly event_type: string;
  readonly aggregate_id: string;
  readonly payload?: JsonObject;
  readonly timestamp: string;
  readonly node_id: string;
  readonly lamport_clock: number;
  readonly causation_id?: string | null;
}

/** The envelope's shape on disk; the report's fast line scanner takes its keys and bounds from it. */
export const ENVELOPE_SCHEMA = Type.Object({
  event_id: Type.String(),
  event_type: Type.String({ minLength: 1 }),
  aggregate_id: Type.String({ minLength: 1 }),
  payload: Type.Optional(stringRecord(Type.Unknown())),
  timestamp: Type.String(),
  node_id: Type.String({ minLength: 1 }),
  lamport_clock: Type.Integer({ minimum: 0, maximum: MAX_LAMPORT_CLOCK }),
  causation_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
// Compiled ahead of time (scripts/generate-checks.ts), and its errors worded without typebox
// (schema-first-error.ts): a report that meets a malformed line loads no compiler.
const isEnvelope = (value: unknown): value is Static<typeof ENVELOPE_SCHEMA> =>
  checkEnvelope(value);

/** Why a value is not a valid event. */
export interface InvalidEvent {
  readonly error: string;
}

function describeShapeError(value: unknown): string {
  const first = firstSchemaError(ENVELOPE_SCHEMA, value);
  if (!first) return "not an event object";
  const field = first.instancePath.replace(/^\//, "");
  return field ? `${field}: ${first.message}` : first.message;
}

/**
 * Validates and normalises an envelope from any source (a parsed line, a caller).
 * Unknown envelope keys are ignored, as the Python model ignores them.
 */
export function validateEvent(value: unknown): Event | InvalidEvent {
  if (!isEnvelope(value)) return { error: describeShapeError(value) };
  const eventId = normalizeEventId(value.event_id);
  if (typeof eventId !== "string") return { error: `event_id: ${eventId.error}` };
  const causation = value.causation_id ?? null;
  const causationId = causation === null ? null : normalizeEventId(causation);
  if (causationId !== null && typeof causationId !== "string") {
    return { error: `causation_id: ${causationId.error}` };
  }
  const timestamp = normalizeTimestamp(value.timestamp);
  if (typeof timestamp !== "string") return { error: `timestamp: ${timestamp.error}` };
  return {
    event_id: eventId,
    event_type: value.event_type,
    aggregate_id: value.aggregate_id,
    payload: (value.payload ?? {}) as JsonObject,
    timestamp,
    node_id: value.node_id as NodeId,
    lamport_clock: value.lamport_clock,
    causation_id: causationId,
  };
}

/** True when validation failed. */
export function isInvalid(result: Event | InvalidEvent): result is InvalidEvent {
  return "error" in result;
}

/** Builds a valid event or throws an `EventError` with code `INVALID_EVENT`. */
export function createEvent(input: EventInput): Event {
  const result = validateEvent(input);
  if (isInvalid(result)) throw new EventError("INVALID_EVENT", `invalid event: ${result.error}`);
  return result;
}

/**
 * The deepest nesting of objects and arrays a line may have (the envelope counts as 1). Deeper
 * lines are skipped as malformed by every reader, so that no command recurses without bound on
 * them. The report's fast scanner leaves lines deeper than its own smaller limit to this parse.
 */
export const MAX_NESTING_DEPTH = 64;

/** Whether `value` nests objects and arrays deeper than `limit`; iterative, stops early. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.value !== "object" || top.value === null) continue;
    if (top.depth > limit) return true;
    for (const child of Object.values(top.value)) {
      if (typeof child === "object" && child !== null)
        stack.push({ value: child, depth: top.depth + 1 });
    }
  }
  return false;
}

/** Parses one log line (without its newline) into a valid event, or says why it is not one. */
export function parseEventLine(line: string): Event | InvalidEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // JSON.parse's message quotes the line: a warning must describe it, never repeat it.
    return { error: "not JSON" };
  }
  if (nestsDeeperThan(value, MAX_NESTING_DEPTH)) {
    return { error: `nested deeper than ${MAX_NESTING_DEPTH} levels` };
  }
  return validateEvent(value);
}

/**
 * The event's log line (without its newline), byte for byte as Python's
 * `json.dumps(event, sort_keys=True)` writes it. `floatKeys` names payload keys that hold floats.
 */
export function serializeEvent(event: Event, floatKeys?: ReadonlySet<string>): string {
  return toPythonJson(eventRecord(event), floatKeys);
}

/** The event as a plain JSON object with the on-disk keys, for writers of other formats. */
export function eventRecord(event: Event): JsonObject {
  return {
    aggregate_id: event.aggregate_id,
    causation_id: event.causation_id,
    event_id: event.event_id,
    event_type: event.event_type,
    lamport_clock: event.lamport_clock,
    node_id: event.node_id,
    payload: event.payload,
    timestamp: event.timestamp,
  };
}

/** The contract's order: by Lamport clock, then node id (then event id, so ties are stable). */
export function compareEvents(a: Event, b: Event): number {
  return (
    a.lamport_clock - b.lamport_clock ||
    (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0) ||
    (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0)
  );
}
