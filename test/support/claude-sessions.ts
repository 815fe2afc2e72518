import { execFile, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { claudeEnv } from "./agent-env.js";
import type { ScriptUsage } from "./model-server/script.js";
import { type ScriptedTurn, startModelServer } from "./model-server/server.js";

// Real Claude Code sessions against the local model server, for the session-log reader's
// fixtures (scripts/make-claude-session-fixtures.ts) and its live test: a project with two work
// package worktrees, and the runs below, in order, all served by one server (so that message and
// request ids are unique across the sessions, as the API's are).

export const SONNET_ID = "claude-sonnet-4-5";
/** What Claude Code asks for when a Task names `"model": "haiku"`. */
export const HAIKU_ID = "claude-haiku-4-5-20251001";
export const FEATURE = "043-x";

/** Where a run starts: the main checkout or a work package's worktree. */
export type Place = "main" | "WP01" | "WP02";

export interface ClaudeRun {
  readonly name: string;
  readonly place: Place;
  readonly prompt: string;
  /** Resumes the session of an earlier run (its name); `fork` makes a new session of it. */
  readonly resume?: { readonly run: string; readonly fork: boolean };
  /** The server's replies, in order; each call's model is Sonnet unless matched for Haiku. */
  readonly turns: readonly ScriptedTurn[];
}

const sonnet = { model: "claude-sonnet" };
const haiku = { model: "claude-haiku" };

/** `<project>` in tool inputs, replaced by the project's path when the runs are made. */
export const PROJECT = "<project>";

export const RUNS: readonly ClaudeRun[] = [
  {
    name: "worktree",
    place: "WP01",
    prompt: "Implement WP01.",
    turns: [
      {
        kind: "tool",
        name: "Bash",
        match: sonnet,
        input: { command: "git status --short", description: "Show the changes" },
        usage: {
          input: 1200,
          cacheRead: 20_000,
          cacheWrite5m: 4000,
          cacheWrite1h: 1000,
          output: 345,
        },
      },
      {
        kind: "text",
        text: "WP01 is clean.",
        match: sonnet,
        usage: { input: 100, cacheRead: 25_000, output: 20 },
      },
    ],
  },
  {
    name: "resumed",
    place: "WP01",
    prompt: "Add a test.",
    resume: { run: "worktree", fork: false },
    turns: [
      {
        kind: "text",
        text: "Added.",
        match: sonnet,
        usage: { input: 300, cacheRead: 26_000, cacheWrite5m: 700, output: 60 },
      },
    ],
  },
  {
    name: "forked",
    place: "WP01",
    prompt: "Try another way.",
    resume: { run: "worktree", fork: true },
    turns: [
      {
        kind: "text",
        text: "Tried.",
        match: sonnet,
        usage: { input: 400, cacheRead: 26_500, output: 70 },
      },
    ],
  },
  {
    name: "main-implement",
    place: "main",
    prompt: "/spec-kitty.implement WP02",
    turns: [
      {
        kind: "tool",
        name: "Bash",
        match: sonnet,
        input: {
          command: `cat ${PROJECT}/kitty-specs/${FEATURE}/tasks/WP02-api.md`,
          description: "Read the work package",
        },
        usage: { input: 2000, cacheRead: 10_000, cacheWrite1h: 3000, output: 150 },
      },
      {
        kind: "text",
        text: "WP02 implemented.",
        match: sonnet,
        usage: { input: 250, cacheRead: 15_000, output: 90 },
      },
    ],
  },
  {
    name: "moves",
    place: "main",
    prompt: "Move from one work package to the other.",
    turns: [
      {
        kind: "tool",
        name: "Bash",
        match: sonnet,
        input: { command: `cd ${PROJECT}/.worktrees/${FEATURE}-WP01`, description: "Go to WP01" },
        usage: { input: 500, cacheWrite5m: 6000, output: 40 },
      },
      {
        kind: "tool",
        name: "Bash",
        match: sonnet,
        input: { command: "git status --short", description: "Show WP01's changes" },
        usage: { input: 510, cacheRead: 6000, output: 41 },
      },
      {
        kind: "tool",
        name: "Bash",
        match: sonnet,
        input: { command: `cd ${PROJECT}/.worktrees/${FEATURE}-WP02`, description: "Go to WP02" },
        usage: { input: 520, cacheRead: 6100, output: 42 },
      },
      {
        kind: "text",
        text: "Both are clean.",
        match: sonnet,
        usage: { input: 530, cacheRead: 6200, output: 43 },
      },
    ],
  },
  {
    name: "subagent",
    place: "WP02",
    prompt: "Review WP02 with a helper.",
    turns: [
      {
        kind: "tool",
        name: "Task",
        match: sonnet,
        input: {
          description: "Review WP02",
          prompt: "Review the changes of WP02.",
          subagent_type: "general-purpose",
          model: "haiku",
        },
        usage: { input: 3000, cacheRead: 10_000, cacheWrite1h: 2000, output: 400 },
      },
      {
        kind: "tool",
        name: "Bash",
        match: haiku,
        input: {
          command: "spec-kitty agent tasks move-task WP02 --to for_review",
          description: "Hand in",
        },
        usage: { input: 5000, cacheWrite5m: 8000, output: 900 },
      },
      {
        kind: "text",
        text: "Looks good.",
        match: haiku,
        usage: { input: 5100, cacheRead: 8000, output: 120 },
      },
      {
        kind: "text",
        text: "Reviewed.",
        match: sonnet,
        usage: { input: 100, cacheRead: 12_000, output: 25 },
      },
    ],
  },
];

/** The model id a scripted turn is answered as. */
export function modelOf(turn: ScriptedTurn): string {
  return turn.match?.model === "claude-haiku" ? HAIKU_ID : SONNET_ID;
}

/** A scripted usage in the reader's classes. */
export function requestUsage(u: ScriptUsage | undefined) {
  const w5m = u?.cacheWrite5m ?? 0;
  const w1h = u?.cacheWrite1h ?? 0;
  return {
    inputTokens: u?.input ?? 0,
    outputTokens: u?.output ?? 0,
    cacheReadTokens: u?.cacheRead ?? 0,
    cacheWriteTokens: w5m + w1h,
    cacheWrite1hTokens: w1h,
    reasoningTokens: 0,
  };
}

const git = promisify(execFile);

/** A spec-kitty-like project at `<base>/shop`, with the worktrees of WP01 and WP02. */
export async function makeProject(base: string): Promise<string> {
  const project = join(base, "shop");
  const run = (...args: string[]) => git("git", args, { cwd: project });
  await mkdir(join(project, "kitty-specs", FEATURE, "tasks"), { recursive: true });
  await writeFile(join(project, "kitty-specs", FEATURE, "tasks", "WP02-api.md"), "# WP02\n");
  // The slash command the main-checkout run types (spec-kitty installs such command files).
  await mkdir(join(project, ".claude", "commands"), { recursive: true });
  await writeFile(
    join(project, ".claude", "commands", "spec-kitty.implement.md"),
    "Implement the work package $ARGUMENTS.\n",
  );
  await writeFile(join(project, ".gitignore"), ".worktrees/\n");
  await run("init", "-q", "-b", "main");
  await run("add", ".");
  await run(
    "-c",
    "user.email=dev@example.com",
    "-c",
    "user.name=dev",
    "commit",
    "-q",
    "-m",
    "init",
  );
  for (const wp of ["WP01", "WP02"]) {
    const branch = `${FEATURE}-${wp}`;
    await run("worktree", "add", "-q", "-b", branch, join(".worktrees", branch));
  }
  return project;
}

export function placeDir(project: string, place: Place): string {
  return place === "main" ? project : join(project, ".worktrees", `${FEATURE}-${place}`);
}

/**
 * Runs `runs` with the real Claude Code (at `claude`) in a fresh project under `base`, HOME and
 * CLAUDE_CONFIG_DIR under `base` too; returns the project and each run's session id.
 */
export async function makeClaudeSessions(
  claude: string,
  base: string,
  runs: readonly ClaudeRun[] = RUNS,
): Promise<{ project: string; home: string; sessions: Map<string, string> }> {
  const project = await makeProject(base);
  const home = join(base, "home");
  await mkdir(home, { recursive: true });
  const turns = runs.flatMap((r) => r.turns.map((t) => withProject(t, project)));
  const server = await startModelServer(turns);
  const sessions = new Map<string, string>();
  try {
    for (const run of runs) {
      const args = [
        "-p",
        run.prompt,
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        SONNET_ID,
        "--dangerously-skip-permissions",
      ];
      if (run.resume !== undefined) {
        const of = sessions.get(run.resume.run);
        if (of === undefined) throw new Error(`${run.name} resumes ${run.resume.run}, not run yet`);
        args.push("--resume", of, ...(run.resume.fork ? ["--fork-session"] : []));
      }
      const out = await runClaude(
        claude,
        args,
        placeDir(project, run.place),
        claudeEnv(home, server.url),
      );
      const id = /"session_id":"([0-9a-f-]+)"/.exec(out)?.[1];
      if (id === undefined)
        throw new Error(`${run.name}: Claude Code printed no session id:\n${out}`);
      sessions.set(run.name, id);
    }
    if (server.turnsLeft !== 0)
      throw new Error(`${server.turnsLeft} scripted turns were never asked for`);
  } finally {
    await server.close();
  }
  return { project, home, sessions };
}

function withProject(turn: ScriptedTurn, project: string): ScriptedTurn {
  if (turn.kind !== "tool") return turn;
  const input = JSON.parse(JSON.stringify(turn.input).replaceAll(PROJECT, project)) as Record<
    string,
    unknown
  >;
  return { ...turn, input };
}

/** Runs Claude Code; resolves with its stdout, rejects unless it exits 0. */
function runClaude(
  claude: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(claude, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGTERM"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `claude ${args.join(" ")} exited ${code}: ${Buffer.concat(err).toString("utf8")}`,
          ),
        );
    });
  });
}
