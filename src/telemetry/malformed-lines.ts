import type { TelemetryWarning } from "./warnings.js";

/** How many lines a read skipped, and the first, for the one warning per file. */
export interface SkippedLines {
  readonly skipped: number;
  readonly firstSkipped: { readonly line: number; readonly reason: string } | null;
}

/** The MALFORMED_LINES warning for a file, or null when nothing was skipped. */
export function malformedLinesWarning(file: string, stats: SkippedLines): TelemetryWarning | null {
  if (stats.skipped === 0 || !stats.firstSkipped) return null;
  const { line, reason } = stats.firstSkipped;
  const plural = stats.skipped === 1 ? "line" : "lines";
  return {
    code: "MALFORMED_LINES",
    file,
    skipped: stats.skipped,
    message: `${file}: skipped ${stats.skipped} malformed ${plural} (first at line ${line}: ${reason})`,
  };
}
