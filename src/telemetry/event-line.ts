import { type Event, type InvalidEvent, isInvalid, parseEventLine } from "../events/event.js";
import { executionPayloadProblem, executionPayloadValid } from "./payload-check.js";

export { malformedLinesWarning, type SkippedLines } from "./malformed-lines.js";

/**
 * What one line of a log is, as every reader sees it: the single definition shared by the
 * store's full read and the report's fast scan, so that both skip and keep the same lines.
 */

/**
 * The longest line any reader takes (16 MiB, ~50,000 times a real event line). A longer line is
 * skipped as malformed without being held, so a file with no newline costs linear time and
 * bounded memory.
 */
export const MAX_LINE_BYTES = 16 << 20;

/** Why a line over `MAX_LINE_BYTES` is skipped (the same words from every reader). */
export const LINE_TOO_LONG: InvalidEvent = { error: "longer than the 16 MiB line limit" };

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

/**
 * A line's event, why it is not one, or null for a blank line (not counted at all). Without
 * `explain`, an invalid payload's reason is not worked out (UNEXPLAINED): for a reader that
 * reports only the first bad line's.
 */
export function readEventLine(text: string | null, explain = true): Event | InvalidEvent | null {
  if (text === null) return { error: "not valid UTF-8" };
  if (isBlank(text)) return null;
  const event = parseEventLine(text);
  if (isInvalid(event)) return event;
  if (!explain) return executionPayloadValid(event) ? event : UNEXPLAINED;
  const problem = executionPayloadProblem(event);
  return problem === null ? event : { error: problem };
}

/** A payload `readEventLine` was told not to explain. */
export const UNEXPLAINED: InvalidEvent = { error: "payload" };
