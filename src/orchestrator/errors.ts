import { CodedError } from "../events/errors.js";

/** Stable codes for the orchestrator's expected failures. */
export type OrchestratorErrorCode =
  | "FEATURE_NOT_FOUND"
  | "NO_WORK_PACKAGES"
  | "INVALID_WORK_PACKAGE"
  | "MISSING_PROMPT_FILE"
  | "DEPENDENCY_CYCLE"
  | "AGENT_NOT_INSTALLED"
  | "AGENT_CANNOT_RUN"
  | "INVALID_OPTION"
  | "WORKING_DIRECTORY_MISSING"
  | "AGENT_NOT_STARTED"
  | "AGENT_STILL_RUNNING";

/** A failure the user can act on; the CLI prints its message as one line. */
export class OrchestratorError extends CodedError<OrchestratorErrorCode> {}
