import { type Event, type InvalidEvent, isInvalid, parseEventLine } from "../events/event.js";
import { executionPayloadProblem } from "./execution-payload.js";
import type { TelemetryWarning } from "./warnings.js";

/**
 * What one line of a log is, as every reader sees it: the single definition shared by the
 * store's full read and the report's fast scan, so that both skip and keep the same lines.
 */

/** A decoded line made ready to parse: a trailing CR (a Windows checkout) and a BOM on line 1 go. */
export function cleanLine(text: string, lineNumber: number): string {
  let clean = text.endsWith("\r") ? text.slice(0, -1) : text;
  if (lineNumber === 1 && clean.startsWith("\ufeff")) clean = clean.slice(1);
  return clean;
}

// Cheaper than trim() on every line: only a line that starts with white space can be blank.
export function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim() === "");
}

/** A line's event, why it is not one, or null for a blank line (not counted at all). */
export function readEventLine(text: string | null): Event | InvalidEvent | null {
  if (text === null) return { error: "not valid UTF-8" };
  if (isBlank(text)) return null;
  const event = parseEventLine(text);
  if (isInvalid(event)) return event;
  const problem = executionPayloadProblem(event);
  return problem === null ? event : { error: problem };
}

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
