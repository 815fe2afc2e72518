import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ProgramRunner } from "./hook-run.js";
import type { ProgramIo } from "./program-io.js";

type CommandLoader = (io: ProgramIo, run: ProgramRunner) => Promise<CommandUnknownOpts>;

// Each command's module is imported only when the command line may need it: a cost report
// need not load (nor, bundled, compile) the PostgreSQL client, the OTLP exporters or the
// dashboard. In help order; `merge-clock` is hidden (git runs it).
const TELEMETRY_COMMANDS: readonly (readonly [string, CommandLoader])[] = [
  ["cost", async (io) => (await import("./cost-command.js")).costCommand(io)],
  ["events", async (io) => (await import("./events-command.js")).eventsCommand(io)],
  ["dashboard", async (io) => (await import("./dashboard-command.js")).dashboardCommand(io)],
  ["emit", async (io) => (await import("./emit-command.js")).emitCommand(io)],
  ["import", async (io) => (await import("./import-command.js")).importCommand(io)],
  ["hooks", async (io, run) => (await import("./hooks-command.js")).hooksCommand(io, run)],
  ["pricing", async (io) => (await import("./pricing-command.js")).pricingCommand(io)],
  ["init", async (io) => (await import("./init-command.js")).initCommand(io)],
  ["sync", async (io) => (await import("./sync-command.js")).syncCommand(io)],
  ["export", async (io) => (await import("./export-command.js")).exportCommand(io)],
  ["merge-clock", async () => (await import("./init-command.js")).mergeClockCommand()],
];
const HIDDEN = new Set(["merge-clock"]);

/**
 * `spec-kitty agent telemetry <command>`: reports, recording, import, prices, team scale.
 * `run` runs the program again in-process (a hook runs the import). `args` are the words after
 * `agent`: when they start with `telemetry <command>`, only that command is built; otherwise
 * (help, a typo, an alias) all are, so the result never depends on the shortcut.
 */
export async function agentCommand(
  io: ProgramIo,
  run: ProgramRunner,
  args: readonly string[] = [],
): Promise<Command> {
  const named = args[0] === "telemetry" ? args[1] : undefined;
  const wanted = TELEMETRY_COMMANDS.some(([name]) => name === named)
    ? TELEMETRY_COMMANDS.filter(([name]) => name === named)
    : TELEMETRY_COMMANDS;
  const commands = await Promise.all(wanted.map(([, load]) => load(io, run)));
  const telemetry = new Command("telemetry").description(
    "Record agent invocations and report what they cost.",
  );
  for (const command of commands) {
    telemetry.addCommand(command, HIDDEN.has(command.name()) ? { hidden: true } : {});
  }
  telemetry.addHelpText(
    "after",
    `
Each feature's invocations are in kitty-specs/<feature>/execution.events.jsonl.

Examples:
  $ spec-kitty agent telemetry cost --group-by model
  $ spec-kitty agent telemetry events --feature 043 --limit 20
  $ spec-kitty agent telemetry emit --feature 043-telemetry-foundation --role reviewer --agent codex
  $ spec-kitty agent telemetry hooks install
  $ spec-kitty agent telemetry cost --help`,
  );
  return new Command("agent")
    .description("Commands for coding agents and the people who run them.")
    .addCommand(telemetry)
    .addHelpText("after", "\nExample:\n  $ spec-kitty agent telemetry cost");
}
