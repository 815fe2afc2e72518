import { createRequire } from "node:module";
import { Command, CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { CodedError } from "../events/errors.js";
import type { ProgramIo } from "./program-io.js";
import { agentCommand } from "./telemetry-commands.js";
import { printable } from "./terminal-text.js";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/**
 * The `spec-kitty` command tree. The telemetry and orchestrate commands hang off this root;
 * only the branch `args` name is built (and its modules loaded) when they name one.
 */
export async function buildProgram(io: ProgramIo, args: readonly string[] = []): Promise<Command> {
  const [first, ...rest] = args;
  // `--version` is answered by the root before any command runs: none need be built.
  const none = first === "--version" || first === "-V";
  const agent = !none && first !== "orchestrate";
  const orchestrate = !none && first !== "agent";
  const program = new Command("spec-kitty")
    .description(
      "Record what every AI coding-agent invocation did and cost, beside each feature's specs.",
    )
    .version(version)
    .addHelpText(
      "after",
      "\nEvents live in kitty-specs/<feature>/execution.events.jsonl; see the README for the library API.",
    );
  if (agent) program.addCommand(await agentCommand(io, runCli, first === "agent" ? rest : []));
  if (orchestrate) {
    program.addCommand((await import("./orchestrate-command.js")).orchestrateCommand(io));
  }
  configureTree(program, io);
  return program;
}

// Commands built apart and added with addCommand() do not inherit these settings.
function configureTree(command: CommandUnknownOpts, io: ProgramIo): void {
  command
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Help follows the injected terminal, not the test runner's or CI's.
      getOutHelpWidth: () => io.columns ?? 80,
      getErrHelpWidth: () => io.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride();
  for (const sub of command.commands) configureTree(sub, io);
}

/** Runs the program on `args` (without node and script) and returns the exit code; never throws. */
export async function runCli(args: readonly string[], io: ProgramIo): Promise<number> {
  try {
    await (await buildProgram(io, args)).parseAsync([...args], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    // A coded error is a failure the user can act on: one line. Anything else is a bug: the
    // whole stack, so that it can be reported.
    if (e instanceof CodedError) io.stderr(`spec-kitty: ${printable(e.message)}\n`);
    else {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      const lines = detail.split("\n").map(printable).join("\n");
      io.stderr(`spec-kitty: internal error (a bug; please report it):\n${lines}\n`);
    }
    return 1;
  }
}
