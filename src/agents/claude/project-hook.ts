import type { ProjectHookSpec } from "../project-hooks.js";

/**
 * Claude Code runs `SessionEnd` hooks of the project's `.claude/settings.json` when a session
 * ends (exit, /clear, logout), with `{session_id, transcript_path, cwd, reason}` on stdin. It
 * waits for them max(1.5 s, the largest hook `timeout`, at most 60 s): hence our 60 s.
 */
export const claudeProjectHook = {
  kind: "json-hooks",
  agent: "claude",
  file: ".claude/settings.json",
  event: "SessionEnd",
  extra: { timeout: 60 },
} as const satisfies ProjectHookSpec;
