import { CodedError } from "../events/errors.js";

/** Stable codes for a caller's mistakes in a telemetry query (not for content on disk). */
export type TelemetryErrorCode =
  | "INVALID_FILTER"
  | "INVALID_FEATURE_PATTERN"
  | "INVALID_GROUP_BY"
  | "INVALID_BUDGETS";

/** A query that cannot run as asked: a bad date bound, feature pattern or group-by key. */
export class TelemetryError extends CodedError<TelemetryErrorCode> {}
