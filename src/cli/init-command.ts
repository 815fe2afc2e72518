import { readFile, writeFile } from "node:fs/promises";
import { Command } from "@commander-js/extra-typings";
import { mergeClockTexts } from "../team/clock-merge.js";
import { gitMergeStatus, setUpGitMerge } from "../team/git-merge-setup.js";
import { CliError } from "./errors.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { repo } from "./shared-options.js";

/** How git should start this very program (the installed bin, or the dev entry under tsx). */
function selfCommand(io: ProgramIo): readonly string[] {
  return io.selfCommand ?? [process.execPath, ...process.execArgv, process.argv[1] ?? "spec-kitty"];
}

/** `agent telemetry init`: makes the logs and clocks merge in git without conflicts. */
export function initCommand(io: ProgramIo) {
  return new Command("init")
    .description(
      "Set up git so that the telemetry logs merge without conflicts (run once per clone).",
    )
    .option("--check", "only say what is set up; exit 1 when something is missing")
    .addOption(repo())
    .addHelpText(
      "after",
      `
Writes two lines into the project's .gitattributes (commit them):
  kitty-specs/**/execution.events.jsonl merge=union             both branches' events are kept
  kitty-specs/**/.telemetry-clock.json merge=spec-kitty-clock    each node's highest clock
the clone-local files (the store's index, a writer's lock, the report cache, the import's state,
what this clone exported or synced) into .gitignore,
and the spec-kitty-clock merge driver into this clone's git config (.git/config is not shared:
every clone runs init once; --check tells whether this one has).

Examples:
  $ spec-kitty agent telemetry init
  $ spec-kitty agent telemetry init --check`,
    )
    .action(async (options) => {
      const root = await findProjectRoot(io.cwd, options.repo);
      if (options.check) {
        const status = await gitMergeStatus(root);
        for (const line of status.attributesMissing)
          io.stdout(`missing in .gitattributes: ${line}\n`);
        io.stdout(
          status.driver === null
            ? "clock merge driver: not configured in this clone\n"
            : `clock merge driver: ${status.driver}\n`,
        );
        const missing = status.attributesMissing.length + status.ignoreMissing.length;
        if (missing > 0 || status.driver === null) {
          throw new CliError(
            "MERGE_SETUP_MISSING",
            "git merge setup incomplete: run `spec-kitty agent telemetry init`",
          );
        }
        return;
      }
      const setup = await setUpGitMerge(root, selfCommand(io));
      for (const line of setup.attributesAdded) io.stdout(`added to .gitattributes: ${line}\n`);
      for (const line of setup.ignoreAdded) io.stdout(`added to .gitignore: ${line}\n`);
      io.stdout(
        setup.driverConfigured
          ? `configured the clock merge driver in .git/config: ${setup.driver}\n`
          : "the clock merge driver was already configured\n",
      );
      if (setup.attributesAdded.length > 0)
        io.stdout("commit .gitattributes so that every clone merges alike\n");
    });
}

/** `agent telemetry merge-clock BASE OURS THEIRS`: git's merge driver for the clock files. */
export function mergeClockCommand() {
  return new Command("merge-clock")
    .description("git merge driver for .telemetry-clock.json (set up by init)")
    .argument("<base>", "the common ancestor's version (unused: clocks only grow)")
    .argument("<ours>", "our version; the merge is written here")
    .argument("<theirs>", "their version")
    .action(async (_base, ours, theirs) => {
      const read = (path: string) => readFile(path, "utf8").catch(() => "");
      await writeFile(ours, mergeClockTexts(await read(ours), await read(theirs)));
    });
}
