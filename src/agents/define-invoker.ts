import type { Role } from "../telemetry/execution-payload.js";
import type { AgentInvoker, InvocationResult, InvokerOptions } from "./contract.js";
import { type AgentRun, agentRun, isOnPath } from "./output-records.js";

/** Reads one agent's run; never throws. */
export type OutputParser = (run: AgentRun) => InvocationResult;

/** The environment the agent ran with: where its home and its own files are. */
export type AgentEnv = Readonly<Record<string, string | undefined>>;

/**
 * Completes a parsed result from what the run wrote to disk beside its output; may reject,
 * the parsed result is then kept as it is.
 */
export type RunFilesReader = (result: InvocationResult, env: AgentEnv) => Promise<InvocationResult>;

/** What sets one agent CLI apart: its executable, how it takes the prompt, its flags, its parser. */
export interface AgentSpec {
  readonly agentId: string;
  readonly command: string;
  /** The prompt goes on stdin; otherwise `args` places it. */
  readonly usesStdin: boolean;
  /** The headless, machine-readable command line for a role; `modelFlags` is `--model X` or empty. */
  args(prompt: string, role: Role, modelFlags: readonly string[]): readonly string[];
  readonly parse: OutputParser;
  readonly readRunFiles?: RunFilesReader;
  /** Why the CLI would refuse `role` under this environment (see `AgentInvoker.preflight`). */
  preflight?(role: Role, env: Readonly<Record<string, string | undefined>>): string | null;
}

/** An `AgentInvoker` from an agent's spec: everything but the flags and the parser is shared. */
export function defineInvoker(spec: AgentSpec, options: InvokerOptions): AgentInvoker {
  const model = options.model ?? null;
  const modelFlags = model ? ["--model", model] : [];
  return {
    agentId: spec.agentId,
    command: spec.command,
    usesStdin: spec.usesStdin,
    isInstalled: () => isOnPath(spec.command, options.env ?? process.env),
    buildCommand: (prompt, _workingDir, role) => ({
      command: spec.command,
      args: [...spec.args(prompt, role, modelFlags)],
      stdin: spec.usesStdin ? prompt : null,
    }),
    parseOutput: async (stdout, stderr, exitCode, durationSeconds) => {
      const parsed = spec.parse(agentRun(stdout, stderr, exitCode, durationSeconds, model));
      const read = spec.readRunFiles;
      return read === undefined
        ? parsed
        : read(parsed, options.env ?? process.env).catch(() => parsed);
    },
    ...(spec.preflight && {
      preflight: (role: Role) => spec.preflight?.(role, options.env ?? process.env) ?? null,
    }),
  };
}
