import { OWN_FILE_MARKER, type ProjectHookSpec } from "../project-hooks.js";

/**
 * OpenCode (1.18) has no session-end hook; it loads the project's `.opencode/plugin/*.{js,ts}`
 * and tells plugins of `session.idle` (a session finished its turn). Our plugin pipes
 * `{session_id, cwd}` to the hook command then: the import is incremental, so importing after
 * every turn adds each turn once, and the last one when the user leaves.
 */
export const opencodeProjectHook = {
  kind: "own-file",
  agent: "opencode",
  file: ".opencode/plugin/spec-kitty-telemetry.js",
  event: "session.idle",
  content: (command) => `// ${OWN_FILE_MARKER}
// Imports each OpenCode session's usage into the spec-kitty logs when the session goes idle.
import { spawn } from "node:child_process";

const COMMAND = ${JSON.stringify(command)};

// Its own process group, its output dropped: the import outlives OpenCode's exit and never
// writes over OpenCode's screen (running the import by hand shows its problems).
function importSession(sessionId, cwd) {
  const child = spawn(COMMAND, { shell: true, cwd, detached: true, stdio: ["pipe", "ignore", "ignore"] });
  child.on("error", () => {});
  child.stdin.on("error", () => {});
  child.stdin.end(JSON.stringify({ session_id: sessionId, cwd, hook_event_name: "session.idle" }));
  child.unref();
}

export default {
  id: "spec-kitty-telemetry",
  server: async ({ directory }) => ({
    event: async ({ event }) => {
      if (event.type !== "session.idle") return;
      const sessionId = event.properties?.sessionID;
      if (typeof sessionId === "string") importSession(sessionId, directory);
    },
  }),
};
`,
} as const satisfies ProjectHookSpec;
