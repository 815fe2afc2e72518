import { claudeProjectHook } from "./claude/project-hook.js";
import { codexProjectHook } from "./codex/project-hook.js";
import { copilotProjectHook } from "./copilot/project-hook.js";
import { geminiProjectHook } from "./gemini/project-hook.js";
import { opencodeProjectHook } from "./opencode/project-hook.js";
import type { ProjectHookSpec } from "./project-hooks.js";

/** The agents with a project-level hook that can import each session when it ends. */
export const PROJECT_HOOKS: readonly ProjectHookSpec[] = [
  claudeProjectHook,
  codexProjectHook,
  geminiProjectHook,
  opencodeProjectHook,
  copilotProjectHook,
];

/** Agents we know that offer no project-level hook, and why. */
export const NO_PROJECT_HOOK: Readonly<Record<string, string>> = {
  cursor: "Cursor keeps no usage on disk; nothing to import",
};
