import type { EmitModelUsage, EmitRequestUsage } from "../telemetry/emit.js";
import type { Role } from "../telemetry/execution-payload.js";

/** What one agent invocation did, as the orchestrator records it. Unknown numbers are null. */
export interface InvocationResult {
  /** Whether the agent really did its job: not only the exit code, also its own error records. */
  readonly success: boolean;
  /** Null when the process was killed by a signal (e.g. on timeout) or never started. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationSeconds: number;
  readonly filesModified: readonly string[];
  readonly commitsMade: readonly string[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** The main model of the run (the one that did the work when several were used). */
  readonly model: string | null;
  /** Prompt tokens billed at the base rate: neither read from nor written to a cache. */
  readonly inputTokens: number | null;
  /** All generated tokens, reasoning included. */
  readonly outputTokens: number | null;
  readonly cacheReadTokens: number | null;
  readonly cacheWriteTokens: number | null;
  /** The part of `outputTokens` that was reasoning (never billed twice). */
  readonly reasoningTokens: number | null;
  /** Only what the agent itself reported; null leaves the estimate to the cost report. */
  readonly costUsd: number | null;
  /**
   * A cost the agent reported but that is known to be wrong (Claude Code 2.0.3x counted output
   * tokens only): kept for the record, never used; `costUsd` is then null and the report estimates.
   */
  readonly untrustedCostUsd: number | null;
  /**
   * Each model's share when the agent says which model spent what (a helper model, a router),
   * and the one model of a single-model run whose usage has more to say than the totals (its
   * 1-hour cache writes, its requests): the token totals above are their sums. Empty when the
   * agent names no model or reports no usage.
   */
  readonly models: readonly ModelUsage[];
  readonly sessionId: string | null;
  /** The agent's final answer text, where the reviewer's verdict is read from. */
  readonly responseText: string | null;
}

/** A command line ready to spawn; the prompt goes to stdin when `stdin` is not null. */
export interface AgentCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly stdin: string | null;
}

/** One agent CLI behind the orchestrator's contract. */
export interface AgentInvoker {
  readonly agentId: string;
  /** The executable looked up on PATH. */
  readonly command: string;
  readonly usesStdin: boolean;
  isInstalled(): Promise<boolean>;
  buildCommand(prompt: string, workingDir: string, role: Role): AgentCommand;
  /**
   * Why the CLI would refuse to run `role` here (its user, its environment), known before it
   * starts; null when nothing is known to stop it. Optional: most agents have no such check.
   */
  preflight?(role: Role): string | null;
  /**
   * Never rejects: garbage, empty or truncated output gives a failed or usage-less result.
   * Async because some agents print less than they write: Codex's model and Copilot's tokens are
   * read from the run's own files under the agent's home (from `InvokerOptions.env`).
   */
  parseOutput(
    stdout: string,
    stderr: string,
    exitCode: number | null,
    durationSeconds: number,
  ): Promise<InvocationResult>;
}

/** How an invoker is set up: the model to ask for, and where to look for the executable. */
export interface InvokerOptions {
  /** Passed to the CLI's model flag; also the model recorded when the output names none. */
  readonly model?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * Token counts of one API request as the provider billed it, and one model's share of an
 * invocation (its sums, its reported cost, and its requests when the agent shows them one by
 * one, for long-context tiers): the shapes emission records, defined once in telemetry.
 */
export type RequestUsage = EmitRequestUsage;
export interface ModelUsage extends EmitModelUsage {
  readonly requests: readonly RequestUsage[];
}

/** The usage part of a result; every field null when the agent reported nothing. */
export type Usage = Pick<
  InvocationResult,
  | "model"
  | "inputTokens"
  | "outputTokens"
  | "cacheReadTokens"
  | "cacheWriteTokens"
  | "reasoningTokens"
  | "costUsd"
  | "untrustedCostUsd"
  | "models"
>;

export const NO_USAGE: Usage = {
  model: null,
  inputTokens: null,
  outputTokens: null,
  cacheReadTokens: null,
  cacheWriteTokens: null,
  reasoningTokens: null,
  costUsd: null,
  untrustedCostUsd: null,
  models: [],
};
