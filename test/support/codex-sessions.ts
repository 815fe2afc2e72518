import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import type { ScriptUsage } from "./model-server/script.js";
import { type ScriptedTurn, startModelServer } from "./model-server/server.js";

/**
 * Real Codex CLI sessions against the local model server, made the same way by the fixture
 * script (`test/fixtures/session-logs/codex/make-fixtures.ts`) and the live test: a spec-kitty
 * project with a work package worktree, and three scenarios whose scripted usage the reader must
 * give back exactly. Free of vitest so that the script can run it with tsx.
 */

const BIN = join(import.meta.dirname, "..", "e2e-agents", "node_modules", ".bin");

export const FEATURE = "042-demo";
export const MAIN_MODEL = "gpt-5.1-codex";
/** A model Codex 0.171 lets `spawn_agent` choose (it refuses names outside its catalogue). */
export const CHILD_MODEL = "gpt-5.5";

/** One `codex exec` (or `codex exec resume`) of a scenario, and what the server answers it. */
export interface ScenarioRun {
  /** Relative to the project root: "" for the main checkout, or the WP worktree. */
  readonly cwd: string;
  readonly prompt: string;
  readonly model: string;
  /** Resume the thread the scenario's first run started. */
  readonly resume?: boolean;
  readonly turns: readonly ScriptedTurn[];
}

export interface Scenario {
  readonly name: string;
  readonly runs: readonly ScenarioRun[];
}

const WORKTREE = `.worktrees/${FEATURE}-WP01`;

function usage(input: number, cacheRead: number, output: number, reasoning: number): ScriptUsage {
  return { input, cacheRead, output, reasoning };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    // A session in a WP worktree: three responses in one turn (two tool calls), so three
    // token_count events with growing totals.
    name: "worktree",
    runs: [
      {
        cwd: WORKTREE,
        prompt: "/spec-kitty.implement WP01",
        model: MAIN_MODEL,
        turns: [
          {
            kind: "tool",
            name: "exec_command",
            input: { cmd: `cat kitty-specs/${FEATURE}/tasks/WP01-setup.md` },
            usage: usage(1000, 200, 50, 10),
          },
          {
            kind: "tool",
            name: "exec_command",
            input: { cmd: "ls" },
            usage: usage(300, 1200, 40, 5),
          },
          { kind: "text", text: "WP01 done.", usage: usage(150, 1500, 30, 0) },
        ],
      },
    ],
  },
  {
    // A session in the main checkout, resumed with another model: two turns in one rollout.
    name: "resumed",
    runs: [
      {
        cwd: "",
        prompt: `spec-kitty agent workflow review WP02 --feature ${FEATURE}`,
        model: MAIN_MODEL,
        turns: [{ kind: "text", text: "Reviewed.", usage: usage(800, 0, 60, 20) }],
      },
      {
        cwd: "",
        prompt: "Summarise the review.",
        model: CHILD_MODEL,
        resume: true,
        turns: [{ kind: "text", text: "Summary.", usage: usage(100, 900, 25, 5) }],
      },
    ],
  },
  {
    // A sub-agent forked with the parent's history after the parent's first response: its
    // rollout replays the parent's records. The parent sleeps in a tool call meanwhile, so that
    // the child finishes before the parent's turn ends.
    name: "subagent",
    runs: [
      {
        cwd: "",
        prompt: "/spec-kitty.review WP03",
        model: MAIN_MODEL,
        turns: [
          {
            kind: "tool",
            name: "exec_command",
            input: { cmd: `ls kitty-specs/${FEATURE}/tasks` },
            usage: usage(600, 0, 30, 10),
            match: { model: MAIN_MODEL },
          },
          {
            kind: "tool",
            name: "spawn_agent",
            namespace: "multi_agent_v1",
            input: {
              message: `Check kitty-specs/${FEATURE}/tasks/WP03-api.md`,
              fork_context: true,
              model: CHILD_MODEL,
            },
            usage: usage(200, 600, 20, 0),
            match: { model: MAIN_MODEL },
          },
          {
            kind: "text",
            text: "Child checked.",
            usage: usage(70, 30, 7, 2),
            match: { model: CHILD_MODEL },
          },
          {
            kind: "tool",
            name: "exec_command",
            input: { cmd: "sleep 3" },
            usage: usage(100, 800, 15, 0),
            match: { model: MAIN_MODEL },
          },
          {
            kind: "text",
            text: "Review done.",
            usage: usage(50, 950, 12, 3),
            match: { model: MAIN_MODEL },
          },
        ],
      },
    ],
  },
];

type Sums = { -readonly [K in keyof ScriptUsage]-?: number };

/** The scripted usage of a scenario summed per model, in DESIGN §4's classes. */
export function scriptedUsage(scenario: Scenario): Record<string, Sums> {
  const sums: Record<string, Sums> = {};
  for (const run of scenario.runs) {
    for (const turn of run.turns) {
      const model = turn.match?.model ?? run.model;
      const u = turn.usage ?? { input: 0, output: 0 };
      const s = sums[model] ?? {
        input: 0,
        cacheRead: 0,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
        output: 0,
        reasoning: 0,
      };
      sums[model] = s;
      s.input += u.input;
      s.cacheRead += u.cacheRead ?? 0;
      s.cacheWrite5m += u.cacheWrite5m ?? 0;
      s.cacheWrite1h += u.cacheWrite1h ?? 0;
      s.output += u.output;
      s.reasoning += u.reasoning ?? 0;
    }
  }
  return sums;
}

/** The pinned CLI as `npm ci` installs it; null when it is missing. */
export function codexPath(): string | null {
  const path = join(BIN, "codex");
  return existsSync(path) ? path : null;
}

/**
 * Runs `scenario` with the real Codex in `root` (its HOME, CODEX_HOME `root/.codex`, the project
 * `root/repo`); returns the thread id and each run's exit code and stderr tail.
 */
export async function runScenario(
  root: string,
  scenario: Scenario,
): Promise<{ threadId: string; codexHome: string; project: string }> {
  const project = join(root, "repo");
  await makeProject(project);
  const codexHome = join(root, ".codex");
  let threadId: string | null = null;
  for (const run of scenario.runs) {
    const server = await startModelServer(run.turns);
    try {
      await writeConfig(codexHome, server.url);
      const args = ["exec"];
      if (run.resume) {
        if (threadId === null) throw new Error(`${scenario.name}: nothing to resume`);
        args.push("resume", threadId);
      }
      args.push("--json", "--skip-git-repo-check", "-m", run.model);
      if (!run.resume) args.push("--sandbox", "workspace-write");
      args.push(run.prompt);
      const out = await runCodex(args, join(project, run.cwd), root, codexHome);
      const started = /"thread_id":"([0-9a-f-]+)"/.exec(out.stdout)?.[1] ?? null;
      threadId ??= started;
      if (out.code !== 0 || server.turnsLeft > 0 || threadId === null) {
        throw new Error(
          `${scenario.name}: codex exited ${out.code}, ${server.turnsLeft} turns unserved\n${out.stdout}\n${out.stderr.slice(-2000)}`,
        );
      }
    } finally {
      await server.close();
    }
  }
  if (threadId === null) throw new Error(`${scenario.name}: no thread id`);
  return { threadId, codexHome, project };
}

async function writeConfig(codexHome: string, url: string): Promise<void> {
  await mkdir(codexHome, { recursive: true });
  const config = [
    'model_provider = "e2e"',
    "[model_providers.e2e]",
    'name = "e2e"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    'env_key = "E2E_MODEL_KEY"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
  ].join("\n");
  await writeFile(join(codexHome, "config.toml"), config);
}

/** A git repository on `main` with one commit and the WP01 worktree on its own branch. */
async function makeProject(project: string): Promise<void> {
  await mkdir(join(project, "kitty-specs", FEATURE, "tasks"), { recursive: true });
  await writeFile(join(project, "kitty-specs", FEATURE, "spec.md"), "# Demo\n");
  const git = (...args: string[]) =>
    runGit(["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args], project);
  await git("init", "-q", "-b", "main");
  await git("add", ".");
  await git("commit", "-q", "-m", "spec");
  await git("worktree", "add", "-q", WORKTREE, "-b", `${FEATURE}-WP01`);
}

function runGit(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args.join(" ")}: ${code}`)),
    );
  });
}

function runCodex(
  args: string[],
  cwd: string,
  home: string,
  codexHome: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: [BIN, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(delimiter),
    HOME: home,
    TMPDIR: home,
    LANG: "C.UTF-8",
    CODEX_HOME: codexHome,
    E2E_MODEL_KEY: "e2e-test-key",
  };
  return new Promise((resolve, reject) => {
    const child = spawn("codex", args, { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
