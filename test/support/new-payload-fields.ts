import {
  MODEL_USAGE_FIELDS,
  type PayloadFieldDefinition,
} from "../../src/telemetry/execution-payload.js";

/** A payload field of each kind that the definition does not have yet, as a new one would be added. */
export const NEW_PAYLOAD_FIELDS: readonly PayloadFieldDefinition[] = [
  { name: "tool_tokens", kind: "tokens", reference: false },
  { name: "summary", kind: "text", reference: false },
  { name: "price_usd", kind: "usd", reference: false },
  { name: "wall_ms", kind: "non-negative", reference: false },
  { name: "signal", kind: "integer", reference: false },
  { name: "cached", kind: "boolean", reference: false },
  { name: "tier", kind: "enum", reference: false, values: ["batch", "flex"] },
  { name: "parts", kind: "list", reference: false, report: "models", fields: MODEL_USAGE_FIELDS },
];
