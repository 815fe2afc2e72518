// The public library API: re-exports only.

export type {
  AgentCommand,
  AgentInvoker,
  InvocationResult,
  InvokerOptions,
} from "./agents/contract.js";
export { AGENT_IDS, type AgentId, createInvoker } from "./agents/registry.js";
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
export {
  DEFAULT_QUIET_MS,
  type ImportOptions,
  importSessions,
} from "./import/import-sessions.js";
export type { AgentImportSummary, ImportSummary } from "./import/import-summary.js";
export { UNATTRIBUTED_FEATURE, UNATTRIBUTED_WP } from "./import/project-facts.js";
export { OrchestratorError, type OrchestratorErrorCode } from "./orchestrator/errors.js";
export { type ProcessOutcome, type ProcessRequest, runProcess } from "./orchestrator/executor.js";
export {
  type OrchestrateOptions,
  type OrchestrationPlan,
  type OrchestrationReport,
  planOrchestration,
  runOrchestration,
  type WpSummary,
} from "./orchestrator/orchestrate.js";
export {
  type PipelineContext,
  processWorkPackage,
  processWpImplementation,
  processWpReview,
  type WpRun,
} from "./orchestrator/pipeline.js";
export { parseVerdict, type Verdict } from "./orchestrator/review-verdict.js";
export { loadWorkPackages, type WorkPackage } from "./orchestrator/work-packages.js";
export { FileClockStorage } from "./telemetry/clock-file.js";
export {
  CostAccumulator,
  type CostGroup,
  type CostKind,
  costSummary,
  costSummaryOf,
  eventCost,
  GROUP_BY_KEYS,
  type GroupByKey,
  type GroupOptions,
  parseGroupBy,
  type RateResolver,
  type TokenRates,
} from "./telemetry/cost.js";
export {
  CLOCK_FILE,
  type EmitInvocation,
  type EmitOptions,
  EVENT_LOG_FILE,
  emitExecutionEvent,
  emitExecutionEvents,
} from "./telemetry/emit.js";
export { TelemetryError, type TelemetryErrorCode } from "./telemetry/errors.js";
export {
  type EventListing,
  filterHints,
  listEvents,
  streamEvents,
} from "./telemetry/event-listing.js";
export {
  ATTRIBUTIONS,
  type Attribution,
  COST_SOURCES,
  type CostSource,
  EXECUTION_EVENT_TYPE,
  EXECUTION_FLOAT_KEYS,
  type ExecutionPayload,
  ROLES,
  type Role,
} from "./telemetry/execution-payload.js";
export { type FeatureDir, featureMatcher, listFeatureDirs } from "./telemetry/features.js";
export { LogLockError } from "./telemetry/file-lock.js";
export type { FilterHint } from "./telemetry/filter-hints.js";
export {
  type LogHead,
  type LogReadStats,
  SimpleJsonStore,
  type SimpleJsonStoreOptions,
} from "./telemetry/json-store.js";
export { formatUsd, type PicoUsd, picoFromUsd, usdForJson } from "./telemetry/money.js";
export {
  loadPricingLayers,
  loadPricingTable,
  type ModelRates,
  type PricingLayers,
  type PricingTable,
  type Resolution,
  type ResolvedModel,
} from "./telemetry/pricing.js";
export { parsePricingTable } from "./telemetry/pricing-file.js";
export {
  compileFilter,
  type DateContext,
  type EventFilter,
  type ParsedFilter,
  type ProjectQueryOptions,
  parseFilter,
  type QueryOptions,
  queryExecutionEvents,
  queryProjectEvents,
  streamExecutionEvents,
  streamProjectEvents,
} from "./telemetry/query.js";
export {
  CACHE_DIR,
  type CostReport,
  type CostReportOptions,
  costReport,
  type ReportScope,
} from "./telemetry/report.js";
export { type EventOrder, streamProjectEventsSorted } from "./telemetry/sorted-events.js";
export type { TelemetryWarning, TelemetryWarningCode, WarningSink } from "./telemetry/warnings.js";
