import type { ProjectHookSpec } from "../project-hooks.js";

/**
 * Gemini CLI (0.61) runs `SessionEnd` hooks of the project's `.gemini/settings.json` on exit
 * and /clear, with `{session_id, transcript_path, cwd, hook_event_name, timestamp, reason}`
 * on stdin; project hooks run only in a trusted folder. Its timeouts are in milliseconds.
 */
export const geminiProjectHook = {
  kind: "json-hooks",
  agent: "gemini",
  file: ".gemini/settings.json",
  event: "SessionEnd",
  extra: { name: "spec-kitty-telemetry", timeout: 60_000 },
  note: "runs only when the folder is trusted",
} as const satisfies ProjectHookSpec;
