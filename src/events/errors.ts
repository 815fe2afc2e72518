/** Stable codes for the unexpected failures of the event library; the CLI maps them to exit 1. */
export type EventErrorCode = "INVALID_EVENT" | "INVALID_CLOCK_VALUE" | "SERIALISE_FAILED";

/** An unexpected failure with a stable, machine-readable `code`. */
export class EventError extends Error {
  readonly code: EventErrorCode;

  constructor(code: EventErrorCode, message: string) {
    super(message);
    this.name = "EventError";
    this.code = code;
  }
}
