import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { AGENT_IDS } from "../agents/registry.js";
import { SESSION_READERS } from "../agents/session-readers.js";
import { importSessions } from "../import/import-sessions.js";
import { timeBound } from "../telemetry/event-filter.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { renderImportProblems, renderImportSummary } from "./render-import.js";
import { dateContext, repo, warningsTo } from "./shared-options.js";

/** `--agent claude,codex`: agents that have a session-log reader. */
function agentList(value: string): string[] {
  const names = value.split(",").map((n) => n.trim());
  for (const name of names) {
    if (SESSION_READERS[name as keyof typeof SESSION_READERS] !== undefined) continue;
    throw new InvalidArgumentError(
      name === "cursor"
        ? "Cursor keeps no token usage on disk: there is nothing to import."
        : (AGENT_IDS as readonly string[]).includes(name)
          ? `${name} has no session-log reader yet.`
          : `unknown agent ${JSON.stringify(name)}; expected some of ${AGENT_IDS.filter((a) => a !== "cursor").join(", ")}.`,
    );
  }
  return names;
}

// Repeatable flags; no default, so that help shows none.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `agent telemetry import`: the usage in the agents' own session logs, into the project's logs. */
export function importCommand(io: ProgramIo) {
  return new Command("import")
    .description(
      "Import interactive agent sessions from the agents' own logs, attributed to features and work packages.",
    )
    .option("--agent <names>", "only these agents, comma-separated (e.g. claude,codex)", agentList)
    .option(
      "--since <date>",
      "only turns started at or after DATE: 2026-01-31, 20260131, today, yesterday, 7d (7 x 24 h ago) or an ISO 8601 time (naive = UTC)",
    )
    .option(
      "--source <dir>",
      "read this folder or file instead of each agent's default location (repeatable)",
      collect,
    )
    .option(
      "--ended-session <id>",
      "a session that has ended (from a hook): its last turn is imported now (repeatable)",
      collect,
    )
    .option("--dry-run", "read and count, write nothing (no event, no import state)")
    .option("--json", "print the summary as JSON")
    .addOption(repo())
    .addHelpText(
      "after",
      `
Each turn (a prompt and every call it caused) becomes one event per feature and
work package its calls were made for: by working directory in
.worktrees/<feature>-<WPnn>/, else git branch, else the spec-kitty command or
paths the turn named, else the WP in "doing" at the time, else the project's
kitty-specs/000-unattributed/ bucket. Calls made in another project are left
out. Running it again adds nothing; .kittify/import-state.json notes what was
read, so that an import with nothing new reads nothing.

Cursor keeps no token usage on disk: its sessions cannot be imported.

Examples:
  $ spec-kitty agent telemetry import
  $ spec-kitty agent telemetry import --agent claude --since 7d --dry-run
  $ spec-kitty agent telemetry import --source ~/backup/.claude/projects --json`,
    )
    .action(async (options) => {
      const since =
        options.since === undefined
          ? null
          : new Date(timeBound(options.since, "since", dateContext(io, undefined)) / 1000);
      const root = await findProjectRoot(io.cwd, options.repo);
      const summary = await importSessions({
        root,
        agents: options.agent,
        sources: options.source?.map((s) => resolve(io.cwd, s)),
        since,
        dryRun: options.dryRun ?? false,
        endedSessions: options.endedSession ?? [],
        env: io.env,
        now: io.now,
        warn: warningsTo(io),
      });
      io.stderr(renderImportProblems(summary));
      io.stdout(
        options.json ? `${JSON.stringify(summary, null, 2)}\n` : renderImportSummary(summary),
      );
    });
}
