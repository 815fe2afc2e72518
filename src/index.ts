// The public library API: re-exports only.
export { type ClockStorage, InMemoryClockStorage, LamportClock } from "./events/clock.js";
export { EventError, type EventErrorCode } from "./events/errors.js";
export {
  compareEvents,
  createEvent,
  type Event,
  type EventInput,
  type InvalidEvent,
  isInvalid,
  type NodeId,
  parseEventLine,
  serializeEvent,
  validateEvent,
} from "./events/event.js";
export { type EventId, normalizeEventId } from "./events/event-id.js";
export {
  type JsonObject,
  type JsonValue,
  pythonFloatRepr,
  toPythonJson,
} from "./events/py-json.js";
export { type EventStore, InMemoryEventStore } from "./events/store.js";
export { type IsoTimestamp, normalizeTimestamp } from "./events/timestamp.js";
export { FileClockStorage } from "./telemetry/clock-file.js";
export {
  CLOCK_FILE,
  type EmitOptions,
  EVENT_LOG_FILE,
  emitExecutionEvent,
} from "./telemetry/emit.js";
export {
  COST_SOURCES,
  type CostSource,
  EXECUTION_EVENT_TYPE,
  EXECUTION_FLOAT_KEYS,
  type ExecutionPayload,
  ROLES,
  type Role,
} from "./telemetry/execution-payload.js";
export { LogLockError } from "./telemetry/file-lock.js";
export {
  type LogHead,
  type LogReadStats,
  SimpleJsonStore,
  type SimpleJsonStoreOptions,
} from "./telemetry/json-store.js";
export type { TelemetryWarning, TelemetryWarningCode, WarningSink } from "./telemetry/warnings.js";
