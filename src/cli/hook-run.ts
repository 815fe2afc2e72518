import { resolve, sep } from "node:path";
import * as Type from "typebox/type";
import { lazyCompile } from "../events/lazy-compile.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { printable } from "./terminal-text.js";

// What we read of a hook's stdin: Claude, Codex and Gemini send `session_id` and `cwd` (and more,
// ignored); our OpenCode plugin sends the same two; Copilot names its id `sessionId`.
const HookInput = lazyCompile(
  Type.Object({
    session_id: Type.Optional(Type.String()),
    sessionId: Type.Optional(Type.String()),
    cwd: Type.Optional(Type.String()),
  }),
);

/** What `hooks run` takes from a hook's stdin. */
export interface HookPayload {
  readonly sessionId: string | undefined;
  readonly cwd: string | undefined;
}

const MAX_STDIN = 1024 * 1024;

/** The session and folder of a hook's stdin JSON; empty (not an error) when it has neither. */
export function parseHookPayload(text: string): HookPayload | string {
  if (text.trim() === "") return { sessionId: undefined, cwd: undefined };
  if (text.length > MAX_STDIN) return `the hook's input is over ${MAX_STDIN} bytes`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the hook's input is not JSON";
  }
  if (!HookInput.Check(value)) return "the hook's input is not a JSON object with string fields";
  const id = value.session_id ?? value.sessionId;
  return { sessionId: id === "" ? undefined : id, cwd: value.cwd };
}

/**
 * The main checkout of a folder inside a work package's worktree (`<root>/.worktrees/<name>/…`
 * gives `<root>`): the events of a feature are kept in the main checkout's logs.
 */
export function mainCheckoutOf(dir: string): string {
  const absolute = resolve(dir);
  const marker = `${sep}.worktrees${sep}`;
  const at = absolute.indexOf(marker);
  return at > 0 ? absolute.slice(0, at) : absolute;
}

/**
 * THE seam between a hook and the import: the spec-kitty arguments that import `agent`'s logs
 * into the project at `root`, with the hook's session marked ended (so its last turn is taken).
 */
export function importArgv(agent: string, sessionId: string | undefined, root: string): string[] {
  const ended = sessionId === undefined ? [] : ["--ended-session", sessionId];
  return ["agent", "telemetry", "import", "--agent", agent, ...ended, "--repo", root];
}

/** Runs spec-kitty in-process on some arguments and gives its exit code (`runCli`). */
export type ProgramRunner = (args: readonly string[], io: ProgramIo) => Promise<number>;

/**
 * `hooks run <agent>`: reads the hook's stdin, finds the project and runs the import. A hook
 * must never fail the agent's session: every problem is one line on stderr and the exit is 0.
 */
export async function runHook(agent: string, io: ProgramIo, run: ProgramRunner): Promise<void> {
  const say = (message: string) =>
    io.stderr(`spec-kitty hooks run ${printable(agent)}: ${printable(message)}\n`);
  try {
    const text = io.stdin === undefined ? "" : await io.stdin();
    const payload = parseHookPayload(text);
    if (typeof payload === "string") {
      say(`${payload}; importing without a session id`);
    }
    const { sessionId, cwd } =
      typeof payload === "string" ? { sessionId: undefined, cwd: undefined } : payload;
    const root = await findProjectRoot(mainCheckoutOf(resolve(io.cwd, cwd ?? ".")));
    // The import's own output goes to stderr: a hook's stdout may be read by the agent.
    const code = await run(importArgv(agent, sessionId, root), { ...io, stdout: io.stderr });
    if (code !== 0) say(`the import exited with ${code}; run it by hand to see why`);
  } catch (e) {
    say(e instanceof Error ? e.message : String(e));
  }
}
