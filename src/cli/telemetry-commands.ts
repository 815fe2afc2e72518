import { Command } from "@commander-js/extra-typings";
import { costCommand } from "./cost-command.js";
import { emitCommand } from "./emit-command.js";
import { eventsCommand } from "./events-command.js";
import type { ProgramIo } from "./program.js";

/** `spec-kitty agent telemetry cost|events|emit`. */
export function agentCommand(io: ProgramIo): Command {
  const telemetry = new Command("telemetry")
    .description("Record agent invocations and report what they cost.")
    .addCommand(costCommand(io))
    .addCommand(eventsCommand(io))
    .addCommand(emitCommand(io));
  return new Command("agent")
    .description("Commands for coding agents and the people who run them.")
    .addCommand(telemetry);
}
