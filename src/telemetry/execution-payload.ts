import type { TSchema } from "typebox";
import * as Type from "typebox/type";

/** The event type telemetry writes. */
export const EXECUTION_EVENT_TYPE = "ExecutionEvent";

/** Roles an agent invocation can have. */
export const ROLES = ["implementer", "reviewer", "specifier", "planner", "merger"] as const;
export type Role = (typeof ROLES)[number];

/** Where a cost figure came from. */
export const COST_SOURCES = ["reported", "estimated"] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** Where an event came from: the orchestrator, the `emit` command (or library call), an import. */
export const EVENT_SOURCES = ["orchestrate", "emit", "import"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * How an imported event found its feature and work package, most certain first: the call's
 * working directory in a WP worktree, its git branch, the spec-kitty command or paths the turn
 * named, the WPs' lane history at the time; `none` is the project's unattributed bucket.
 */
export const ATTRIBUTIONS = ["worktree", "branch", "command", "lane-window", "none"] as const;
export type Attribution = (typeof ATTRIBUTIONS)[number];

/** Report fields (of `EventFields`, or of one model's `ModelFields`) a payload string fills. */
export type TextSlot = "wpId" | "agent" | "role" | "model";
/** Report fields a token count fills: the token classes a cost estimate prices. */
export type TokenSlot =
  | "inputTokens"
  | "outputTokens"
  | "cacheReadTokens"
  | "cacheWriteTokens"
  | "cacheWrite1hTokens"
  | "aboveTokens";
/** Report fields a list of objects fills: the models of an event, the long-context sums of one. */
export type ListSlot = "models" | "longContext";
/** Report fields one of a set of words fills: where the event came from. */
export type EnumSlot = "source";

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
  | { readonly kind: "enum"; readonly values: readonly string[]; readonly report?: EnumSlot }
  | {
      readonly kind: "list";
      readonly report: ListSlot;
      readonly fields: readonly PayloadFieldDefinition[];
    }
);

/**
 * Prompt sizes above which the shipped pricing table knows long-context rates (tiers): an event
 * records, per model, the sums of the requests whose prompt exceeded each of them (see
 * LONG_CONTEXT_FIELDS). A tier at another threshold cannot be applied to any event.
 */
export const LONG_CONTEXT_THRESHOLDS = [128_000, 200_000, 272_000] as const;

/**
 * One entry of a model's `long_context`: the token sums of that model's requests in the event
 * whose prompt (input + cache read + cache write) exceeded `above_tokens`, one of
 * LONG_CONTEXT_THRESHOLDS. Written only for thresholds some request exceeded; the sums are
 * cumulative (a request above 272k is in the 200k entry too), so that the entries priced by
 * any table's tiers are exact whatever thresholds it uses among these.
 */
export const LONG_CONTEXT_FIELDS = [
  { name: "above_tokens", kind: "tokens", reference: true, report: "aboveTokens" },
  { name: "input_tokens", kind: "tokens", reference: true, report: "inputTokens" },
  { name: "output_tokens", kind: "tokens", reference: true, report: "outputTokens" },
  { name: "cache_read_tokens", kind: "tokens", reference: true, report: "cacheReadTokens" },
  { name: "cache_write_tokens", kind: "tokens", reference: true, report: "cacheWriteTokens" },
  {
    name: "cache_write_1h_tokens",
    kind: "tokens",
    reference: true,
    report: "cacheWrite1hTokens",
  },
] as const satisfies readonly PayloadFieldDefinition[];

/**
 * One entry of `models`: a model's share of the event (the top-level token fields are the sums
 * of these), what the agent reported it cost (null when it did not say), and its long-context
 * sums when some of its requests exceeded a threshold.
 */
export const MODEL_USAGE_FIELDS = [
  { name: "model", kind: "text", reference: true, report: "model" },
  { name: "input_tokens", kind: "tokens", reference: true, report: "inputTokens" },
  { name: "output_tokens", kind: "tokens", reference: true, report: "outputTokens" },
  { name: "cache_read_tokens", kind: "tokens", reference: true, report: "cacheReadTokens" },
  { name: "cache_write_tokens", kind: "tokens", reference: true, report: "cacheWriteTokens" },
  {
    name: "cache_write_1h_tokens",
    kind: "tokens",
    reference: true,
    report: "cacheWrite1hTokens",
  },
  { name: "reasoning_tokens", kind: "tokens", reference: true },
  { name: "cost_usd", kind: "usd", reference: true, report: "costUsd" },
  {
    name: "long_context",
    kind: "list",
    reference: false,
    report: "longContext",
    fields: LONG_CONTEXT_FIELDS,
  },
] as const satisfies readonly PayloadFieldDefinition[];

/**
 * The ExecutionEvent payload (DESIGN §4), defined once. Both readers derive from this table:
 * the full parse's validator (`payloadValidator`, payload-check.ts) and the report's fast line
 * scanner (its key table and per-key value rules), so that a field added here is checked alike
 * by both.
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
  // The part of cache_write_tokens written with a 1-hour lifetime (billed at its own rate).
  {
    name: "cache_write_1h_tokens",
    kind: "tokens",
    reference: false,
    report: "cacheWrite1hTokens",
  },
  { name: "reasoning_tokens", kind: "tokens", reference: false },
  { name: "cost_usd", kind: "usd", reference: true, report: "costUsd" },
  { name: "cost_source", kind: "enum", reference: false, values: COST_SOURCES },
  // A cost the agent reported that is known to be wrong: kept for the record, never used.
  { name: "untrusted_cost_usd", kind: "usd", reference: false },
  { name: "models", kind: "list", reference: false, report: "models", fields: MODEL_USAGE_FIELDS },
  // Absent in older logs and in the Python CLI's: reports show those as `unknown`.
  { name: "source", kind: "enum", reference: false, values: EVENT_SOURCES, report: "source" },
  { name: "duration_ms", kind: "non-negative", reference: true },
  { name: "success", kind: "boolean", reference: true, report: "success" },
  { name: "error", kind: "text", reference: true },
  { name: "exit_code", kind: "integer", reference: true },
  { name: "session_id", kind: "text", reference: false },
  // Imported events only: how the feature and work package were found.
  { name: "attribution", kind: "enum", reference: false, values: ATTRIBUTIONS },
] as const satisfies readonly PayloadFieldDefinition[];

type KindValue<F extends PayloadFieldDefinition> = F extends {
  readonly values: readonly (infer V)[];
}
  ? V
  : F extends { readonly fields: infer N extends readonly PayloadFieldDefinition[] }
    ? readonly PayloadObject<N>[]
    : F["kind"] extends "text"
      ? string
      : F["kind"] extends "boolean"
        ? boolean
        : number;

/** The object a list of field definitions describes. Reference fields are always written. */
type PayloadObject<Fields extends readonly PayloadFieldDefinition[]> = {
  readonly [F in Fields[number] as F["reference"] extends true
    ? F["name"]
    : never]: KindValue<F> | null;
} & {
  readonly [F in Fields[number] as F["reference"] extends true ? never : F["name"]]?: KindValue<F>;
};

/** The payload of an ExecutionEvent (DESIGN §4). Reference fields are always written. */
export type ExecutionPayload = PayloadObject<typeof PAYLOAD_FIELDS>;
/** One entry of an ExecutionEvent's `models`. */
export type ModelUsagePayload = PayloadObject<typeof MODEL_USAGE_FIELDS>;
/** One entry of a model's `long_context`. */
export type LongContextPayload = PayloadObject<typeof LONG_CONTEXT_FIELDS>;

function usdNames(fields: readonly PayloadFieldDefinition[]): string[] {
  return fields.flatMap((f) =>
    f.kind === "usd" ? [f.name] : f.kind === "list" ? usdNames(f.fields) : [],
  );
}

/**
 * Payload keys whose numbers are floats (Python writes `cost_usd: 15.0`, not `15`), at any
 * depth: a key names a float wherever it appears (`cost_usd` in `models` too).
 */
export const EXECUTION_FLOAT_KEYS: ReadonlySet<string> = new Set(usdNames(PAYLOAD_FIELDS));

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
    case "list":
      return Type.Array(payloadSchema(field.fields));
    default:
      return field satisfies never;
  }
}

/**
 * The schema of an object with `fields`, each optional and nullable: reading is tolerant of
 * absent fields (older logs) and of extra ones (newer writers), but not of wrong types (a token
 * count written as a string would poison every sum downstream). Checked by payload-check.ts.
 */
export function payloadSchema(fields: readonly PayloadFieldDefinition[]): TSchema {
  return Type.Object(
    Object.fromEntries(
      fields.map((f) => [f.name, Type.Optional(Type.Union([valueSchema(f), Type.Null()]))]),
    ),
  );
}
