import { runCli } from "../../src/cli/program.js";

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs `spec-kitty <args>` in-process with NO_COLOR, TZ=UTC and an 100-column non-TTY stdout. */
export async function runSpecKitty(
  args: readonly string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    columns?: number | undefined;
    /** The injected clock, epoch milliseconds. */
    now?: number;
    /** How git's merge driver starts spec-kitty (see ProgramIo.selfCommand). */
    selfCommand?: readonly string[];
    /** What the command reads on stdin (a hook's JSON). */
    stdin?: string;
  } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const exitCode = await runCli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: options.cwd ?? process.cwd(),
    env: { NO_COLOR: "1", TZ: "UTC", ...options.env },
    columns: options.columns,
    stderrIsTty: false,
    now: options.now === undefined ? undefined : () => options.now as number,
    selfCommand: options.selfCommand,
    stdin: options.stdin === undefined ? undefined : async () => options.stdin as string,
  });
  return { stdout, stderr, exitCode };
}
