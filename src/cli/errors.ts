/** Stable codes for the failures the CLI reports as one line on stderr with exit 1. */
export type CliErrorCode =
  | "NOT_IN_PROJECT"
  | "INVALID_DATE"
  | "INVALID_GROUP_BY"
  | "INVALID_FEATURE"
  | "INVALID_VALUE"
  | "ORCHESTRATE_FAILED";

/** An expected user-facing failure: `runCli` prints its message and exits 1. */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}
