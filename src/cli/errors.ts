import { CodedError } from "../events/errors.js";

/** Stable codes for the failures the CLI reports as one line on stderr with exit 1. */
export type CliErrorCode =
  | "NOT_IN_PROJECT"
  | "ORCHESTRATE_FAILED"
  | "FEATURE_LOOKS_MISTYPED"
  | "MERGE_SETUP_MISSING";

/** An expected user-facing failure: `runCli` prints its message and exits 1. */
export class CliError extends CodedError<CliErrorCode> {}
