import { type TSchema, Type } from "typebox";
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

/** Report fields (of `EventFields`) a payload string fills. */
export type TextSlot = "wpId" | "agent" | "role" | "model";
/** Report fields a token count fills: the token classes a cost estimate prices. */
export type TokenSlot = "inputTokens" | "outputTokens" | "cacheReadTokens" | "cacheWriteTokens";

/**
 * One payload field: its on-disk name, the value it takes (every field may also be null, or
 * absent in older logs), whether it is a reference field (always written) and which report
 * field, if any, it fills. Kinds: `tokens` a count 0..2^53-1; `text` a string; `usd` a number
 * >= 0 written as a Python float (`15.0`); `non-negative` a number >= 0; `integer`; `boolean`;
 * `enum` one of `values`.
 */
export type PayloadFieldDefinition = { readonly name: string; readonly reference: boolean } & (
  | { readonly kind: "text"; readonly report?: TextSlot }
  | { readonly kind: "tokens"; readonly report?: TokenSlot }
  | { readonly kind: "usd"; readonly report?: "costUsd" }
  | { readonly kind: "boolean"; readonly report?: "success" }
  | { readonly kind: "non-negative" | "integer" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
);

/**
 * The ExecutionEvent payload (DESIGN §4), defined once. Both readers derive from this table:
 * the full parse's validator (`payloadValidator`) and the report's fast line scanner (its key
 * table and per-key value rules), so that a field added here is checked alike by both.
 */
export const PAYLOAD_FIELDS = [
  { name: "wp_id", kind: "text", reference: true, report: "wpId" },
  { name: "agent", kind: "text", reference: true, report: "agent" },
  { name: "role", kind: "text", reference: true, report: "role" },
  { name: "model", kind: "text", reference: true, report: "model" },
  { name: "input_tokens", kind: "tokens", reference: true, report: "inputTokens" },
  { name: "output_tokens", kind: "tokens", reference: true, report: "outputTokens" },
  { name: "cache_read_tokens", kind: "tokens", reference: false, report: "cacheReadTokens" },
  { name: "cache_write_tokens", kind: "tokens", reference: false, report: "cacheWriteTokens" },
  { name: "reasoning_tokens", kind: "tokens", reference: false },
  { name: "cost_usd", kind: "usd", reference: true, report: "costUsd" },
  { name: "cost_source", kind: "enum", reference: false, values: COST_SOURCES },
  { name: "duration_ms", kind: "non-negative", reference: true },
  { name: "success", kind: "boolean", reference: true, report: "success" },
  { name: "error", kind: "text", reference: true },
  { name: "exit_code", kind: "integer", reference: true },
  { name: "session_id", kind: "text", reference: false },
] as const satisfies readonly PayloadFieldDefinition[];

type PayloadField = (typeof PAYLOAD_FIELDS)[number];
type KindValue<F extends PayloadField> = F extends { readonly values: readonly (infer V)[] }
  ? V
  : F["kind"] extends "text"
    ? string
    : F["kind"] extends "boolean"
      ? boolean
      : number;

/** The payload of an ExecutionEvent (DESIGN §4). Reference fields are always written. */
export type ExecutionPayload = {
  readonly [F in PayloadField as F["reference"] extends true
    ? F["name"]
    : never]: KindValue<F> | null;
} & {
  readonly [F in PayloadField as F["reference"] extends true ? never : F["name"]]?: KindValue<F>;
};

/** Payload keys whose numbers are floats (Python writes `cost_usd: 15.0`, not `15`). */
export const EXECUTION_FLOAT_KEYS: ReadonlySet<string> = new Set(
  PAYLOAD_FIELDS.filter((f) => f.kind === "usd").map((f) => f.name),
);

function valueSchema(field: PayloadFieldDefinition): TSchema {
  switch (field.kind) {
    case "text":
      return Type.String();
    case "tokens":
      return Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    case "usd":
    case "non-negative":
      return Type.Number({ minimum: 0 });
    case "integer":
      return Type.Integer();
    case "boolean":
      return Type.Boolean();
    case "enum":
      return Type.Union(field.values.map((v) => Type.Literal(v)));
    default:
      return field satisfies never;
  }
}

/**
 * The full parse's check of a payload, generated from `fields`. Reading is tolerant of absent
 * fields (older logs) and of extra ones (newer writers), but not of wrong types: a token count
 * written as a string would poison every sum downstream.
 */
export function payloadValidator(fields: readonly PayloadFieldDefinition[]) {
  return lazyCompile(
    Type.Object(
      Object.fromEntries(
        fields.map((f) => [f.name, Type.Optional(Type.Union([valueSchema(f), Type.Null()]))]),
      ),
    ),
  );
}

/** Why a payload does not satisfy `validator`'s fields; null when it does. */
export function payloadProblem(
  validator: ReturnType<typeof payloadValidator>,
  payload: unknown,
): string | null {
  if (validator.Check(payload)) return null;
  const first = validator.Errors(payload)[0];
  return first ? `payload${first.instancePath.replace(/\//g, ".")}: ${first.message}` : "payload";
}

const PayloadOnDisk = payloadValidator(PAYLOAD_FIELDS);

/** Why an event's payload is not a valid ExecutionEvent payload; null when valid or not one. */
export function executionPayloadProblem(event: Event): string | null {
  if (event.event_type !== EXECUTION_EVENT_TYPE) return null;
  return payloadProblem(PayloadOnDisk, event.payload);
}
