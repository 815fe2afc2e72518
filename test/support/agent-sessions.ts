import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AgentId, createInvoker } from "../../src/agents/registry.js";
import { runProcess } from "../../src/orchestrator/executor.js";
import type { ScriptUsage } from "./model-server/script.js";
import { type ModelServer, type ScriptedTurn, startModelServer } from "./model-server/server.js";
import {
  agentSandbox,
  copilotEnv,
  geminiEnv,
  OPENCODE_PROVIDER,
  opencodeEnv,
} from "./real-agents.js";

/**
 * Interactive-like sessions of the real Gemini CLI, OpenCode and Copilot CLI in a work package's
 * worktree, against the local model server: two prompts in one session (the second resumes
 * it), the first with a tool call. What the session-log fixtures under
 * test/fixtures/session-logs/<agent>/ were made from, and what the live reader tests run.
 */

export const FEATURE = "043-x";
export const WP = "WP01";
/** The worktree folder, relative to the project (spec-kitty's layout). */
export const WORKTREE = join(".worktrees", `${FEATURE}-${WP}`);

/** The scripted usage of each request, in order: prompt 1 (tool call, then answer), prompt 2. */
export const SESSION_USAGE = {
  toolCall: { input: 1200, cacheRead: 20_000, output: 345, reasoning: 45 },
  answer: { input: 100, cacheRead: 25_000, output: 20, reasoning: 5 },
  second: { input: 300, cacheRead: 26_000, output: 15 },
} as const satisfies Record<string, ScriptUsage>;

export const PROMPTS = [
  "Implement WP01 of 043-x: write hello.txt.",
  "Run /spec-kitty.review WP01 now.",
] as const;

/** The model each agent is run with (OpenCode names it under its provider). */
export const SESSION_MODELS = {
  gemini: "gemini-2.5-pro",
  opencode: `${OPENCODE_PROVIDER}/gpt-5.1-codex`,
  copilot: "gpt-5.1-codex",
} as const;
export type SessionAgent = keyof typeof SESSION_MODELS;

export interface AgentSession {
  /** The temp HOME holding the agent's data. */
  readonly home: string;
  readonly project: string;
  readonly worktree: string;
  readonly sessionId: string;
  readonly server: ModelServer;
  /** Each run's exit code and stderr, for failure messages. */
  readonly runs: readonly { exitCode: number | null; stderr: string }[];
}

/** A git project with one commit and the worktree of WP01 on its own branch. */
async function projectWithWorktree(project: string): Promise<string> {
  const git = (...args: string[]) => {
    const out = spawnSync("git", args, {
      cwd: project,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "e2e",
        GIT_AUTHOR_EMAIL: "e2e@example.invalid",
        GIT_COMMITTER_NAME: "e2e",
        GIT_COMMITTER_EMAIL: "e2e@example.invalid",
        GIT_AUTHOR_DATE: "2026-11-30T12:00:00Z",
        GIT_COMMITTER_DATE: "2026-11-30T12:00:00Z",
      },
    });
    if (out.status !== 0) throw new Error(`git ${args.join(" ")}: ${out.stderr}`);
  };
  git("init", "-q", "-b", "main");
  await mkdir(join(project, "kitty-specs", FEATURE, "tasks"), { recursive: true });
  await writeFile(join(project, "kitty-specs", FEATURE, "tasks", `${WP}-x.md`), "# WP01\n");
  git("add", ".");
  git("commit", "-q", "-m", "init");
  git("worktree", "add", "-q", WORKTREE, "-b", `${FEATURE}-${WP}`);
  return join(project, WORKTREE);
}

function turnsFor(agent: SessionAgent): ScriptedTurn[] {
  const tool: ScriptedTurn =
    agent === "gemini"
      ? {
          kind: "tool",
          name: "write_file",
          input: { file_path: "hello.txt", content: "hello\n" },
          usage: SESSION_USAGE.toolCall,
        }
      : {
          kind: "tool",
          name: "bash",
          input: {
            command: "printf 'hello\\n' > hello.txt",
            description: "Write hello.txt",
            ...(agent === "copilot" && { mode: "sync" }),
          },
          usage: SESSION_USAGE.toolCall,
        };
  return [
    tool,
    { kind: "text", text: "Wrote hello.txt.", usage: SESSION_USAGE.answer },
    { kind: "text", text: "Reviewed.", usage: SESSION_USAGE.second },
  ];
}

async function envFor(agent: SessionAgent, home: string, worktree: string, url: string) {
  if (agent === "gemini") return geminiEnv(home, url);
  if (agent === "opencode") return opencodeEnv(home, worktree, url, ["gpt-5.1-codex"]);
  return copilotEnv(home, url, SESSION_MODELS.copilot);
}

/** The arguments that make a headless run continue session `id` (Gemini: the latest). */
function resumeArgs(agent: SessionAgent, id: string): string[] {
  if (agent === "gemini") return ["--resume", "latest"];
  if (agent === "opencode") return ["--session", id];
  return [`--resume=${id}`];
}

/**
 * Runs `agent` twice in the WP01 worktree of a fresh project: prompt 1, then prompt 2 resuming
 * the same session. The caller closes `server`.
 */
export async function runAgentSession(agent: SessionAgent): Promise<AgentSession> {
  const server = await startModelServer(turnsFor(agent));
  const { home, project } = await agentSandbox();
  const worktree = await projectWithWorktree(project);
  const env = await envFor(agent, home, worktree, server.url);
  const invoker = createInvoker(agent as AgentId, { model: SESSION_MODELS[agent], env });
  const runs: { exitCode: number | null; stderr: string }[] = [];
  let sessionId: string | null = null;
  for (const [i, prompt] of PROMPTS.entries()) {
    const command = invoker.buildCommand(prompt, worktree, "implementer");
    const args =
      i === 0 || sessionId === null
        ? command.args
        : agent === "opencode"
          ? [...command.args.slice(0, -1), ...resumeArgs(agent, sessionId), prompt]
          : [...command.args, ...resumeArgs(agent, sessionId)];
    const out = await runProcess({
      ...command,
      args,
      cwd: worktree,
      env,
      timeoutMs: 90_000,
      killGraceMs: 1000,
    });
    runs.push({ exitCode: out.exitCode, stderr: out.stderr });
    const result = await invoker.parseOutput(
      out.stdout,
      out.stderr,
      out.exitCode,
      out.durationSeconds,
    );
    sessionId ??= result.sessionId;
  }
  return { home, project, worktree, sessionId: sessionId ?? "", server, runs };
}
