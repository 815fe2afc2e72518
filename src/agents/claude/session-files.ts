import type { Dirent, Stats } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { AgentEnv } from "../define-invoker.js";
import type { SessionProblemSink, SessionUnit } from "../session-logs.js";
import type { SessionFiles } from "./session-turns.js";

/** How deep sub-agent files are looked for under a session's folder (`subagents/workflows/wf_x/`). */
const MAX_SUBAGENT_DEPTH = 4;
/** How much of a legacy sub-agent file is read to find the session it belongs to. */
const HEAD_BYTES = 64 * 1024;

/**
 * Claude Code's configuration folders: every entry of `CLAUDE_CONFIG_DIR` (ccusage accepts a
 * comma-separated list, so we do too), else `~/.claude` and the XDG `~/.config/claude`.
 */
export function claudeConfigDirs(env: AgentEnv): string[] {
  const configured = (env.CLAUDE_CONFIG_DIR ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  if (configured.length > 0) return configured;
  const home = env.HOME || homedir();
  return [join(home, ".claude"), join(env.XDG_CONFIG_HOME || join(home, ".config"), "claude")];
}

/** A unit is found by the main log's path; a session with no main log left, by its folder. */
type FoundUnit = SessionUnit;

/** A unit's files told apart: the main log comes first, sub-agents' are named `agent-*`. */
export function filesOf(unit: SessionUnit): SessionFiles {
  const [first, ...rest] = unit.files;
  if (first === undefined) return { main: null, subagents: [] };
  return basename(first).startsWith("agent-")
    ? { main: null, subagents: unit.files }
    : { main: first, subagents: rest };
}

/**
 * The sessions under `sources`: a configuration folder (its `projects/`), a `projects/` folder,
 * one project's folder, or a session's `.jsonl`. Ordered by unit id; each session once even when
 * two sources overlap.
 */
export async function discoverSessions(
  sources: readonly string[],
  problems: SessionProblemSink,
): Promise<FoundUnit[]> {
  const units = new Map<string, FoundUnit>();
  const seenDirs = new Set<string>();
  const add = (unit: FoundUnit | null) => {
    if (unit !== null && !units.has(unit.id)) units.set(unit.id, unit);
  };
  for (const source of sources) {
    const info = await statOrNull(source, problems);
    if (info === null) continue;
    if (info.isFile()) {
      add(await sessionUnit(dirname(source), basename(source, ".jsonl"), true, problems));
      continue;
    }
    const projects = join(source, "projects");
    const root = (await statOrNull(projects, null))?.isDirectory() ? projects : source;
    const real = await realpath(root).catch(() => root);
    if (seenDirs.has(real)) continue;
    seenDirs.add(real);
    const entries = await entriesOf(root, problems);
    // A project's folder itself, or the folder holding the projects' folders.
    const isProject = entries.some((e) => e.isFile() && e.name.endsWith(".jsonl"));
    const projectDirs = isProject
      ? [root]
      : entries.filter((e) => e.isDirectory()).map((e) => join(root, e.name));
    for (const dir of projectDirs) for (const unit of await projectUnits(dir, problems)) add(unit);
  }
  return [...units.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The sessions of one project folder (`projects/<cwd made a name>/`). */
async function projectUnits(dir: string, problems: SessionProblemSink): Promise<FoundUnit[]> {
  const entries = await entriesOf(dir, problems);
  const logs = new Set(
    entries
      .filter((e) => e.isFile() && e.name.endsWith(".jsonl") && !e.name.startsWith("agent-"))
      .map((e) => e.name.slice(0, -".jsonl".length)),
  );
  // Before 2.1.2 a sub-agent's log lay beside the sessions, naming its session inside.
  const legacy = new Map<string, string[]>();
  for (const e of entries) {
    if (!(e.isFile() && e.name.startsWith("agent-") && e.name.endsWith(".jsonl"))) continue;
    const path = join(dir, e.name);
    const session = (await sessionIdOf(path)) ?? e.name.slice(0, -".jsonl".length);
    legacy.set(session, [...(legacy.get(session) ?? []), path]);
  }
  // A session folder without its log: the log was deleted (retention) or is not written yet.
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const sessions = new Set([...logs, ...folders, ...legacy.keys()]);
  const units: FoundUnit[] = [];
  for (const session of sessions) {
    const unit = await sessionUnit(dir, session, logs.has(session), problems, legacy.get(session));
    if (unit !== null) units.push(unit);
  }
  return units;
}

async function sessionUnit(
  dir: string,
  session: string,
  hasLog: boolean,
  problems: SessionProblemSink,
  legacy: readonly string[] = [],
): Promise<FoundUnit | null> {
  const main = hasLog ? join(dir, `${session}.jsonl`) : null;
  const nested = await agentLogs(join(dir, session), MAX_SUBAGENT_DEPTH);
  const subagents = [...legacy, ...nested].sort();
  if (main === null && subagents.length === 0) return null;
  const files = main === null ? subagents : [main, ...subagents];
  const stats = await Promise.all(files.map((f) => statOrNull(f, problems)));
  const stamp = stats
    .map((s, i) => (s === null ? `${files[i]}:gone` : `${s.ino}:${s.size}:${s.mtimeMs}`))
    .join(",");
  const lastWriteMs = Math.max(0, ...stats.map((s) => s?.mtimeMs ?? 0));
  return {
    id: main ?? join(dir, session),
    files,
    stamp,
    lastWriteMs,
  };
}

/** `agent-*.jsonl` under a session's folder (`subagents/`, `subagents/workflows/wf_*`, ...). */
async function agentLogs(dir: string, depth: number): Promise<string[]> {
  if (depth === 0) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile() && e.name.startsWith("agent-") && e.name.endsWith(".jsonl")) found.push(path);
    else if (e.isDirectory()) found.push(...(await agentLogs(path, depth - 1)));
  }
  return found;
}

/** The `sessionId` in the first lines of a file, read up to HEAD_BYTES. */
async function sessionIdOf(path: string): Promise<string | null> {
  const file = await open(path, "r").catch(() => null);
  if (file === null) return null;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    const match = /"sessionId":"([A-Za-z0-9_-]{1,128})"/.exec(
      buffer.toString("utf8", 0, bytesRead),
    );
    return match?.[1] ?? null;
  } finally {
    await file.close();
  }
}

async function entriesOf(dir: string, problems: SessionProblemSink): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (error) {
    if (!isMissing(error)) problems.report("unreadable", dir, messageOf(error));
    return [];
  }
}

/** Null when `path` is missing (not a problem: a default folder need not exist) or unreadable. */
async function statOrNull(
  path: string,
  problems: SessionProblemSink | null,
): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    if (problems !== null && !isMissing(error))
      problems.report("unreadable", path, messageOf(error));
    return null;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
