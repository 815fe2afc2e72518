import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { NO_PROJECT_HOOK, PROJECT_HOOKS } from "../agents/hook-registry.js";
import {
  type HookOutcome,
  hookStatus,
  installHook,
  type ProjectHookSpec,
  uninstallHook,
} from "../agents/project-hooks.js";
import { type ProgramRunner, runHook } from "./hook-run.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { repo } from "./shared-options.js";
import { printable } from "./terminal-text.js";

const HOOK_AGENTS = PROJECT_HOOKS.map((h) => h.agent);

/** `--agent a,b`: agents with a project-level hook (an agent without one is refused, saying why). */
function hookAgents(value: string): string[] {
  const names = value.split(",").map((n) => n.trim());
  for (const name of names) {
    const why = NO_PROJECT_HOOK[name];
    if (why !== undefined)
      throw new InvalidArgumentError(`${name} has no project-level hook: ${why}.`);
    if (!HOOK_AGENTS.includes(name)) {
      throw new InvalidArgumentError(
        `unknown agent ${JSON.stringify(name)}; one of ${HOOK_AGENTS.join(", ")}`,
      );
    }
  }
  return names;
}

const agentOption = () =>
  new Option(
    "--agent <names>",
    `the agents, joined by commas (default: all: ${HOOK_AGENTS.join(",")})`,
  ).argParser(hookAgents);

function selected(agents: readonly string[] | undefined): ProjectHookSpec[] {
  return PROJECT_HOOKS.filter((h) => agents === undefined || agents.includes(h.agent));
}

const STATE_TEXT: Record<HookOutcome["state"], string> = {
  installed: "installed",
  "already-installed": "already installed",
  removed: "removed",
  "not-installed": "not installed",
};

/** One line per agent: the agent, the project file, the event, what was done (and a note). */
export function renderHookOutcomes(outcomes: readonly HookOutcome[]): string {
  const width = (f: (o: HookOutcome) => string) => Math.max(...outcomes.map((o) => f(o).length));
  const [a, f, e] = [width((o) => o.agent), width((o) => o.file), width((o) => o.event)];
  return outcomes
    .map((o) => {
      const note =
        o.note === undefined || o.state === "removed" || o.state === "not-installed"
          ? ""
          : ` (${o.note})`;
      return `${o.agent.padEnd(a)}  ${o.file.padEnd(f)}  ${o.event.padEnd(e)}  ${STATE_TEXT[o.state]}${note}`.trimEnd();
    })
    .map((line) => `${printable(line)}\n`)
    .join("");
}

type Action = (root: string, spec: ProjectHookSpec) => Promise<HookOutcome>;

function hookAction(name: string, description: string, action: Action, io: ProgramIo) {
  return new Command(name)
    .description(description)
    .addOption(agentOption())
    .addOption(repo())
    .action(async (options) => {
      const root = await findProjectRoot(io.cwd, options.repo);
      const outcomes: HookOutcome[] = [];
      // One agent at a time: a malformed file stops before any later one is touched.
      for (const spec of selected(options.agent)) outcomes.push(await action(root, spec));
      io.stdout(renderHookOutcomes(outcomes));
    });
}

const HOOKS_HELP = `
Only the project's own files are written (never your home folder): commit them to share the
hooks with the team, or keep them local. Each hook runs \`spec-kitty agent telemetry hooks run
<agent>\`, which imports that agent's sessions with the ended one marked ended.

  claude    .claude/settings.json       SessionEnd (waited for up to 60 s)
  codex     .codex/hooks.json           SessionEnd (a trusted project, the hook trusted in /hooks; 3 s)
  gemini    .gemini/settings.json       SessionEnd (runs in a trusted folder only)
  opencode  .opencode/plugin/spec-kitty-telemetry.js   no session end in OpenCode: a plugin
            imports on session.idle (after each turn)
  copilot   .github/hooks/spec-kitty-telemetry.json    sessionEnd
  cursor    no project-level hook (Cursor keeps no usage on disk)

Installing twice adds nothing; uninstall removes only our entries and files. A hook never fails
the agent's session: \`hooks run\` writes problems to stderr and exits 0.

Examples:
  $ spec-kitty agent telemetry hooks install
  $ spec-kitty agent telemetry hooks install --agent claude,gemini
  $ spec-kitty agent telemetry hooks status
  $ spec-kitty agent telemetry hooks uninstall --agent codex`;

/** `agent telemetry hooks install|uninstall|status|run`. */
export function hooksCommand(io: ProgramIo, run: ProgramRunner) {
  return new Command("hooks")
    .description("Import each agent session when it ends, through the agents' project hooks.")
    .addCommand(
      hookAction(
        "install",
        "Add our session-end hook to the project's agent config files.",
        installHook,
        io,
      ),
    )
    .addCommand(
      hookAction(
        "uninstall",
        "Remove our hooks (only ours) from the project's files.",
        uninstallHook,
        io,
      ),
    )
    .addCommand(
      hookAction("status", "Show which agents have our hook in this project.", hookStatus, io),
    )
    .addCommand(
      new Command("run")
        .description(
          "Run by an agent's hook: import its sessions (the hook's JSON on stdin). Always exits 0.",
        )
        .argument("<agent>", "the agent whose session ended")
        .action(async (agent) => runHook(agent, io, run)),
    )
    .addHelpText("after", HOOKS_HELP);
}
