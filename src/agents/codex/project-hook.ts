import type { ProjectHookSpec } from "../project-hooks.js";

/**
 * Codex (0.171) reads hooks from the project's `.codex/hooks.json` (on by default; the feature
 * key is `hooks`, once `codex_hooks`) and runs `SessionEnd` with `{session_id, transcript_path,
 * cwd, hook_event_name, reason}` on stdin, in `codex exec` too. It loads them only in a trusted
 * project and runs one only after the user trusted it (`/hooks`); SessionEnd hooks are cut at
 * 3 s: an import cut short is finished by the next one.
 */
export const codexProjectHook = {
  kind: "json-hooks",
  agent: "codex",
  file: ".codex/hooks.json",
  event: "SessionEnd",
  extra: { timeout: 3 },
  note: "runs in a trusted project once trusted in Codex's /hooks; cut after 3 s",
} as const satisfies ProjectHookSpec;
