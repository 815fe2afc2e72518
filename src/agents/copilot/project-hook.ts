import { OWN_FILE_MARKER, type ProjectHookSpec } from "../project-hooks.js";

/**
 * GitHub Copilot CLI loads every `.github/hooks/*.json` of the folder it runs in (version 1
 * files) and runs `sessionEnd` command hooks (`bash`) with the session's JSON on stdin. Taken
 * from GitHub's hooks reference; the pinned 1.0.102 binary could not be inspected.
 */
export const copilotProjectHook = {
  kind: "own-file",
  agent: "copilot",
  file: ".github/hooks/spec-kitty-telemetry.json",
  event: "sessionEnd",
  content: (command) =>
    `${JSON.stringify(
      {
        version: 1,
        description: OWN_FILE_MARKER,
        hooks: { sessionEnd: [{ type: "command", bash: command, timeoutSec: 60 }] },
      },
      null,
      2,
    )}\n`,
} as const satisfies ProjectHookSpec;
