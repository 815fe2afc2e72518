import { Command } from "@commander-js/extra-typings";
import { costCommand } from "./cost-command.js";
import { dashboardCommand } from "./dashboard-command.js";
import { emitCommand } from "./emit-command.js";
import { eventsCommand } from "./events-command.js";
import { exportCommand } from "./export-command.js";
import type { ProgramRunner } from "./hook-run.js";
import { hooksCommand } from "./hooks-command.js";
import { importCommand } from "./import-command.js";
import { initCommand, mergeClockCommand } from "./init-command.js";
import { pricingCommand } from "./pricing-command.js";
import type { ProgramIo } from "./program-io.js";
import { syncCommand } from "./sync-command.js";

/**
 * `spec-kitty agent telemetry <command>`: reports, recording, import, prices, team scale.
 * `run` runs the program again in-process (a hook runs the import).
 */
export function agentCommand(io: ProgramIo, run: ProgramRunner): Command {
  const telemetry = new Command("telemetry")
    .description("Record agent invocations and report what they cost.")
    .addCommand(costCommand(io))
    .addCommand(eventsCommand(io))
    .addCommand(dashboardCommand(io))
    .addCommand(emitCommand(io))
    .addCommand(importCommand(io))
    .addCommand(hooksCommand(io, run))
    .addCommand(pricingCommand(io))
    .addCommand(initCommand(io))
    .addCommand(syncCommand(io))
    .addCommand(exportCommand(io))
    .addCommand(mergeClockCommand(), { hidden: true })
    .addHelpText(
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
