import { Type } from "typebox";
import type { Event } from "../events/event.js";
import { lazyCompile } from "../events/lazy-compile.js";

/** The event type telemetry writes. */
export const EXECUTION_EVENT_TYPE = "ExecutionEvent";

/** Roles an agent invocation can have. */
export const ROLES = ["implementer", "reviewer", "specifier", "planner", "merger"] as const;
export type Role = (typeof ROLES)[number];

/** Where a cost figure came from. */
export const COST_SOURCES = ["reported", "estimated"] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** Payload keys whose numbers are floats (Python writes `cost_usd: 15.0`, not `15`). */
export const EXECUTION_FLOAT_KEYS: ReadonlySet<string> = new Set(["cost_usd"]);

/** The payload of an ExecutionEvent (DESIGN §4). Reference fields are always written. */
export type ExecutionPayload = {
  readonly wp_id: string | null;
  readonly agent: string | null;
  readonly role: string | null;
  readonly model: string | null;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly cost_usd: number | null;
  readonly duration_ms: number | null;
  readonly success: boolean | null;
  readonly error: string | null;
  readonly exit_code: number | null;
  readonly cache_read_tokens?: number;
  readonly cache_write_tokens?: number;
  readonly reasoning_tokens?: number;
  readonly cost_source?: CostSource;
  readonly session_id?: string;
};

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Optional(Type.Union([schema, Type.Null()]));
const TokenCount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

// Reading is tolerant of absent fields (older logs) and of extra ones (newer writers), but not
// of wrong types: a token count written as a string would poison every sum downstream.
const PayloadOnDisk = lazyCompile(
  Type.Object({
    wp_id: Nullable(Type.String()),
    agent: Nullable(Type.String()),
    role: Nullable(Type.String()),
    model: Nullable(Type.String()),
    input_tokens: Nullable(TokenCount),
    output_tokens: Nullable(TokenCount),
    cache_read_tokens: Nullable(TokenCount),
    cache_write_tokens: Nullable(TokenCount),
    reasoning_tokens: Nullable(TokenCount),
    cost_usd: Nullable(Type.Number({ minimum: 0 })),
    cost_source: Nullable(Type.Union(COST_SOURCES.map((s) => Type.Literal(s)))),
    duration_ms: Nullable(Type.Number({ minimum: 0 })),
    success: Nullable(Type.Boolean()),
    error: Nullable(Type.String()),
    exit_code: Nullable(Type.Integer()),
    session_id: Nullable(Type.String()),
  }),
);

/** Why an event's payload is not a valid ExecutionEvent payload; null when valid or not one. */
export function executionPayloadProblem(event: Event): string | null {
  if (event.event_type !== EXECUTION_EVENT_TYPE || PayloadOnDisk.Check(event.payload)) return null;
  const first = PayloadOnDisk.Errors(event.payload)[0];
  return first ? `payload${first.instancePath.replace(/\//g, ".")}: ${first.message}` : "payload";
}
