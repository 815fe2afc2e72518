/** Kinds of expected trouble that telemetry reports instead of throwing. */
export type TelemetryWarningCode =
  | "MALFORMED_LINES"
  | "CLOCK_FILE_CORRUPT"
  | "EMIT_FAILED"
  | "EMIT_INCOMPLETE"
  | "EMIT_USAGE_MISMATCH"
  | "LOG_UNREADABLE"
  | "FEATURE_OUTSIDE_PROJECT"
  | "CACHE_OUTSIDE_PROJECT"
  | "PRICING_FILE_INVALID"
  | "RUN_STATE_FAILED"
  | "OTLP_METRICS_FAILED";

/** One warning: a stable code, a one-line message for people, and the file concerned. */
export interface TelemetryWarning {
  readonly code: TelemetryWarningCode;
  readonly message: string;
  readonly file?: string;
  /** For MALFORMED_LINES: how many lines were skipped in this read of the file. */
  readonly skipped?: number;
  /** For PRICING_FILE_INVALID: where in the file (1-based), when the problem has a place. */
  readonly line?: number;
  readonly column?: number;
}

/** Receives warnings; inject one to collect, count or silence them. */
export type WarningSink = (warning: TelemetryWarning) => void;

/** The default sink: one line on stderr, never stdout (stdout may carry --json output). */
export const stderrWarningSink: WarningSink = (warning) => {
  process.stderr.write(`warning: ${warning.message}\n`);
};
