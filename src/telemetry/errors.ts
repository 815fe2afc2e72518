/** Stable codes for a caller's mistakes in a telemetry query (not for content on disk). */
export type TelemetryErrorCode = "INVALID_FILTER" | "INVALID_FEATURE_PATTERN" | "INVALID_GROUP_BY";

/** A query that cannot run as asked: a bad date bound, feature pattern or group-by key. */
export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string) {
    super(message);
    this.name = "TelemetryError";
    this.code = code;
  }
}
