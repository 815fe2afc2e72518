import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";

const FAKE_AGENT = join(import.meta.dirname, "..", "orchestrator", "fixtures", "fake-agent.mjs");
const COMMANDS = ["claude", "codex", "gemini", "opencode", "copilot", "cursor-agent"] as const;

/** What a fake agent does on one call; fixture paths are under test/fixtures/agent-outputs. */
export interface FakeStep {
  readonly fixture?: string;
  /** Replaces a whole JSON string value of the fixture (e.g. the answer text). */
  readonly replace?: readonly [string, string];
  readonly stderr?: string;
  readonly exit?: number;
  readonly hang?: boolean;
  /** A grandchild in the agent's process group, deaf to SIGTERM and SIGINT. */
  readonly grandchild?: boolean;
  /** A grandchild in a session of its own (setsid), deaf to SIGTERM and SIGINT; `null` = forever. */
  readonly detached?: { readonly holdStdout: boolean; readonly lifetimeMs: number | null };
  /** A file to create in the working directory, as an agent's edit would. */
  readonly write?: string;
}

/** The n-th call of `agent` whose prompt contains every `match` string plays `steps[n]`. */
export interface FakeRule {
  readonly agent: (typeof COMMANDS)[number];
  readonly match: readonly string[];
  readonly steps: readonly FakeStep[];
}

/** One recorded call of a fake agent. */
export interface FakeCall {
  readonly agent: string;
  readonly args: readonly string[];
  readonly prompt: string;
  readonly cwd: string;
  readonly pid: number;
  readonly grandchild: number | null;
}

/**
 * Puts fake `claude`, `codex`, ... executables in `<dir>/bin` and returns the env that puts them
 * first on PATH, and a reader of the calls they received.
 */
export async function installFakeAgents(dir: string, rules: readonly FakeRule[]) {
  const bin = join(dir, "bin");
  const state = join(dir, "fake-agent-state");
  await mkdir(bin, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(join(state, "plan.json"), JSON.stringify({ rules }));
  for (const command of COMMANDS) {
    const agent = command === "cursor-agent" ? "cursor" : command;
    const path = join(bin, command);
    await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_AGENT}" ${agent} "$@"\n`);
    await chmod(path, 0o755);
  }
  const env = {
    PATH: [bin, dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter),
    FAKE_AGENT_DIR: state,
    // As root (containers, CI), the orchestrator refuses to start a Claude implementer that the
    // real CLI would refuse; a test machine is a sandbox.
    IS_SANDBOX: "1",
  };
  const calls = async (): Promise<FakeCall[]> => {
    const text = await readFile(join(state, "calls.jsonl"), "utf8").catch(() => "");
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeCall);
  };
  return { env, calls };
}
