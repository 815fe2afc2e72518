import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CodedError } from "../events/errors.js";
import { assertFolderInside, readSmallFile, replaceFile } from "../telemetry/project-paths.js";

/** Stable codes of the failures of `hooks install|uninstall|status`. */
export type HookErrorCode = "HOOK_CONFIG_INVALID" | "HOOK_FILE_NOT_OURS";

/** A project config file we cannot change safely; the message names the file. */
export class HookError extends CodedError<HookErrorCode> {}

/** The words every hook we install starts with; an entry is ours when its command does. */
export const HOOK_COMMAND_PREFIX = "spec-kitty agent telemetry hooks run";

/** The command a hook of `agent` runs when a session ends. */
export function hookCommand(agent: string): string {
  return `${HOOK_COMMAND_PREFIX} ${agent}`;
}

/**
 * How an agent takes a session-end hook in the project's own config (never the user's home):
 * - `json-hooks`: a `hooks.<event>` list of `{matcher?, hooks: [{type: "command", command}]}`
 *   groups in a JSON settings file shared with the user's other settings (Claude Code, Gemini
 *   CLI, Codex); we add one group and remove only the hooks whose command is ours;
 * - `own-file`: a file that is wholly ours (an OpenCode plugin, a Copilot hooks file), marked.
 */
export type ProjectHookSpec =
  | {
      readonly kind: "json-hooks";
      readonly agent: string;
      /** Relative to the project root. */
      readonly file: string;
      readonly event: string;
      /** Fields of our hook entry besides `type` and `command` (a timeout, a name). */
      readonly extra?: Readonly<Record<string, string | number>>;
      /** What the user must know for it to run (trust, a flag), for the help and the status. */
      readonly note?: string;
    }
  | {
      readonly kind: "own-file";
      readonly agent: string;
      readonly file: string;
      readonly event: string;
      /** The file's whole text; it contains OWN_FILE_MARKER. */
      readonly content: (command: string) => string;
      readonly note?: string;
    };

/** A line in every file of kind `own-file`, so that we never remove a file we did not write. */
export const OWN_FILE_MARKER =
  "spec-kitty-telemetry-hook: written by `spec-kitty agent telemetry hooks install`";

/** What install, uninstall or status did for one agent. */
export interface HookOutcome {
  readonly agent: string;
  readonly file: string;
  readonly event: string;
  readonly state: "installed" | "already-installed" | "removed" | "not-installed";
  readonly note?: string | undefined;
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The indentation the file already uses (two spaces when it has none). */
function indentOf(text: string): string | number {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1] ?? 2;
}

/** Writes a config file of the project, making its folder (checked to be inside it) first. */
async function writeText(root: string, file: string, text: string): Promise<void> {
  const path = join(root, file);
  await assertFolderInside(dirname(path), root);
  await mkdir(dirname(path), { recursive: true });
  await replaceFile(path, text, root);
}

async function readText(root: string, file: string): Promise<string | null> {
  return readSmallFile(join(root, file), { root, maxBytes: MAX_CONFIG_BYTES });
}

/** The settings object of a JSON file (an empty one when the file is missing or blank). */
function parseSettings(text: string | null, file: string): JsonObject {
  if (text === null || text.trim() === "") return {};
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new HookError("HOOK_CONFIG_INVALID", `${file}: not valid JSON (${why}); left unchanged`);
  }
  if (!isObject(value)) {
    throw new HookError("HOOK_CONFIG_INVALID", `${file}: not a JSON object; left unchanged`);
  }
  return value;
}

/** The settings' `hooks.<event>` list, checked (null when absent). */
function eventGroups(settings: JsonObject, spec: ProjectHookSpec): Json[] | null {
  const hooks = settings.hooks;
  if (hooks === undefined) return null;
  if (!isObject(hooks)) {
    throw new HookError(
      "HOOK_CONFIG_INVALID",
      `${spec.file}: "hooks" is not an object; left unchanged`,
    );
  }
  const groups = hooks[spec.event];
  if (groups === undefined) return null;
  if (!Array.isArray(groups)) {
    throw new HookError(
      "HOOK_CONFIG_INVALID",
      `${spec.file}: "hooks.${spec.event}" is not a list; left unchanged`,
    );
  }
  return groups;
}

function isOurs(hook: Json): boolean {
  return (
    isObject(hook) &&
    typeof hook.command === "string" &&
    (hook.command === HOOK_COMMAND_PREFIX || hook.command.startsWith(`${HOOK_COMMAND_PREFIX} `))
  );
}

function hasOurs(groups: readonly Json[] | null): boolean {
  return (groups ?? []).some((g) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isOurs));
}

function serialise(settings: JsonObject, previous: string | null): string {
  return `${JSON.stringify(settings, null, previous === null ? 2 : indentOf(previous))}\n`;
}

async function installJson(root: string, spec: ProjectHookSpec & { kind: "json-hooks" }) {
  const text = await readText(root, spec.file);
  const settings = parseSettings(text, spec.file);
  const groups = eventGroups(settings, spec);
  if (hasOurs(groups)) return "already-installed" as const;
  const entry: JsonObject = { type: "command", command: hookCommand(spec.agent), ...spec.extra };
  const hooks = isObject(settings.hooks) ? settings.hooks : {};
  hooks[spec.event] = [...(groups ?? []), { hooks: [entry] }];
  settings.hooks = hooks;
  await writeText(root, spec.file, serialise(settings, text));
  return "installed" as const;
}

async function uninstallJson(root: string, spec: ProjectHookSpec & { kind: "json-hooks" }) {
  const text = await readText(root, spec.file);
  if (text === null) return "not-installed" as const;
  const settings = parseSettings(text, spec.file);
  const groups = eventGroups(settings, spec);
  if (groups === null || !hasOurs(groups)) return "not-installed" as const;
  // Only our hooks go; a group left empty by that goes too, and so do lists left empty.
  const kept = groups.flatMap((group): Json[] => {
    if (!isObject(group) || !Array.isArray(group.hooks) || !group.hooks.some(isOurs)) {
      return [group];
    }
    const rest = group.hooks.filter((h) => !isOurs(h));
    return rest.length === 0 ? [] : [{ ...group, hooks: rest }];
  });
  const hooks = settings.hooks as JsonObject;
  if (kept.length === 0) delete hooks[spec.event];
  else hooks[spec.event] = kept;
  if (Object.keys(hooks).length === 0) delete settings.hooks;
  await writeText(root, spec.file, serialise(settings, text));
  return "removed" as const;
}

async function statusJson(root: string, spec: ProjectHookSpec & { kind: "json-hooks" }) {
  const settings = parseSettings(await readText(root, spec.file), spec.file);
  return hasOurs(eventGroups(settings, spec)) ? "installed" : "not-installed";
}

function ownFileIsOurs(text: string, spec: ProjectHookSpec): boolean {
  if (text.includes(OWN_FILE_MARKER)) return true;
  throw new HookError(
    "HOOK_FILE_NOT_OURS",
    `${spec.file}: exists and was not written by spec-kitty; left unchanged`,
  );
}

async function installOwn(root: string, spec: ProjectHookSpec & { kind: "own-file" }) {
  const text = await readText(root, spec.file);
  const content = spec.content(hookCommand(spec.agent));
  if (text !== null && ownFileIsOurs(text, spec) && text === content) {
    return "already-installed" as const;
  }
  // An older version of our own file is replaced.
  await writeText(root, spec.file, content);
  return "installed" as const;
}

async function uninstallOwn(root: string, spec: ProjectHookSpec & { kind: "own-file" }) {
  const text = await readText(root, spec.file);
  if (text === null || !ownFileIsOurs(text, spec)) return "not-installed" as const;
  await rm(join(root, spec.file));
  return "removed" as const;
}

async function statusOwn(root: string, spec: ProjectHookSpec & { kind: "own-file" }) {
  const text = await readText(root, spec.file);
  return text?.includes(OWN_FILE_MARKER) ? "installed" : "not-installed";
}

function outcome(spec: ProjectHookSpec, state: HookOutcome["state"]): HookOutcome {
  const { agent, file, event, note } = spec;
  return { agent, file, event, state, note };
}

/** Adds our session-end hook to `spec`'s project file (once: a second install changes nothing). */
export async function installHook(root: string, spec: ProjectHookSpec): Promise<HookOutcome> {
  const state =
    spec.kind === "json-hooks" ? await installJson(root, spec) : await installOwn(root, spec);
  return outcome(spec, state);
}

/** Removes our hook (only ours) from `spec`'s project file. */
export async function uninstallHook(root: string, spec: ProjectHookSpec): Promise<HookOutcome> {
  const state =
    spec.kind === "json-hooks" ? await uninstallJson(root, spec) : await uninstallOwn(root, spec);
  return outcome(spec, state);
}

/** Whether our hook is in `spec`'s project file. */
export async function hookStatus(root: string, spec: ProjectHookSpec): Promise<HookOutcome> {
  const state =
    spec.kind === "json-hooks" ? await statusJson(root, spec) : await statusOwn(root, spec);
  return outcome(spec, state);
}
