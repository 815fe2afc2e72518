import type { TSchema } from "typebox";
import type { Event } from "../events/event.js";
import { lazyCompileOf } from "../events/lazy-compile.js";
import { firstSchemaError } from "../events/schema-first-error.js";
import { checkExecutionPayload } from "./execution-payload.generated.js";
import {
  EXECUTION_EVENT_TYPE,
  PAYLOAD_FIELDS,
  type PayloadFieldDefinition,
  payloadSchema,
} from "./execution-payload.js";

// The full parse's checks of a payload, apart from its definition (execution-payload.ts), which
// every report imports: only a report that parses lines in full loads these and the generated
// check (~10 KB), not a warm one.

/** A payload check made from a list of field definitions (see `payloadValidator`). */
export interface PayloadValidator {
  /** Whether `payload` satisfies the fields. */
  readonly check: (payload: unknown) => boolean;
  /** Their schema, built on first use (for the words of a payload's first error). */
  readonly schema: () => TSchema;
}

/**
 * The full parse's check of a payload, generated from `fields` (`payloadSchema`). PAYLOAD_FIELDS'
 * check is compiled ahead of time (scripts/generate-checks.ts); another list's (a test's new
 * field) by typebox on first use.
 */
export function payloadValidator(fields: readonly PayloadFieldDefinition[]): PayloadValidator {
  let built: TSchema | undefined;
  const schema = () => {
    built ??= payloadSchema(fields);
    return built;
  };
  if (fields === PAYLOAD_FIELDS) return { check: checkExecutionPayload, schema };
  const compiled = lazyCompileOf(schema);
  return { check: (payload) => compiled.Check(payload), schema };
}

/**
 * Why a payload does not satisfy `validator`'s fields; null when it does. The words are typebox's
 * first error, found without typebox (firstSchemaError): a report that skips a line loads no
 * compiler to say why.
 */
export function payloadProblem(validator: PayloadValidator, payload: unknown): string | null {
  if (validator.check(payload)) return null;
  const first = firstSchemaError(validator.schema(), payload);
  return first ? `payload${first.instancePath.replace(/\//g, ".")}: ${first.message}` : "payload";
}

const PayloadOnDisk = payloadValidator(PAYLOAD_FIELDS);

/** Why an event's payload is not a valid ExecutionEvent payload; null when valid or not one. */
export function executionPayloadProblem(event: Event): string | null {
  if (event.event_type !== EXECUTION_EVENT_TYPE) return null;
  return payloadProblem(PayloadOnDisk, event.payload);
}

/**
 * Whether `executionPayloadProblem` finds none, without the words of one (for a reader that only
 * counts bad lines).
 */
export function executionPayloadValid(event: Event): boolean {
  return event.event_type !== EXECUTION_EVENT_TYPE || PayloadOnDisk.check(event.payload);
}
