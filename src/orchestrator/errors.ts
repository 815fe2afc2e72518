import { CodedError } from "../events/errors.js";

/** Stable codes for the orchestrator's expected failures, reported before anything runs. */
export type OrchestratorErrorCode =
  | "FEATURE_NOT_FOUND"
  | "NO_WORK_PACKAGES"
  | "INVALID_WORK_PACKAGE"
  | "MISSING_PROMPT_FILE"
  | "DEPENDENCY_CYCLE"
  | "AGENT_NOT_INSTALLED"
  | "INVALID_OPTION";

/** A failure the user can act on; the CLI prints its message as one line. */
export class OrchestratorError extends CodedError<OrchestratorErrorCode> {}
