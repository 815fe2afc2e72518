import { Command, Option } from "@commander-js/extra-typings";
import { syncToPostgres } from "../team/pg/sync.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { repo, warningsTo } from "./shared-options.js";

/** `agent telemetry sync --to postgres://...`: this project's events into the team store. */
export function syncCommand(io: ProgramIo) {
  return new Command("sync")
    .description(
      "Push this project's events into a PostgreSQL team store (incremental, idempotent).",
    )
    .addOption(
      new Option(
        "--to <url>",
        "the store: postgres://USER:PASSWORD@HOST:PORT/DATABASE",
      ).makeOptionMandatory(),
    )
    .option(
      "--project <name>",
      "the project's name in the store (default: the git remote origin, else the folder name)",
    )
    .option(
      "--full",
      "offer every event again, not only those this clone has not synced (the store keeps one of each)",
    )
    .option("--json", "print the result as JSON")
    .addOption(repo())
    .addHelpText(
      "after",
      `
The tables (created or upgraded on first use): spec_kitty_projects, spec_kitty_events (the
envelope, typed usage columns, the payload as jsonb) and spec_kitty_usage_parts (what reports sum).
Each batch is one transaction and an event is stored once per project, so any number of clones
and CI jobs may sync at once, and an interrupted sync loses and duplicates nothing when run again.
Report from the store with \`cost --from URL [--project NAME]\`.

Examples:
  $ spec-kitty agent telemetry sync --to postgres://ci:secret@db.internal/telemetry
  $ spec-kitty agent telemetry cost --from postgres://ci:secret@db.internal/telemetry -g feature`,
    )
    .action(async (options) => {
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const result = await syncToPostgres({
        repoRoot,
        url: options.to,
        project: options.project,
        warn: warningsTo(io),
        full: options.full === true,
      });
      if (options.json) {
        io.stdout(`${JSON.stringify(result)}\n`);
        return;
      }
      io.stdout(
        `${result.project}: ${result.inserted} new events stored, ${result.offered - result.inserted} the store already had, ${result.alreadySynced} synced before\n`,
      );
    });
}
