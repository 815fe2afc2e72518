/** Stable codes for the unexpected failures of the event library; the CLI maps them to exit 1. */
export type EventErrorCode = "INVALID_EVENT" | "INVALID_CLOCK_VALUE" | "SERIALISE_FAILED";

/** A failure with a stable, machine-readable `code`; each layer has its own subclass and codes. */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An unexpected failure of the event library. */
export class EventError extends CodedError<EventErrorCode> {}
