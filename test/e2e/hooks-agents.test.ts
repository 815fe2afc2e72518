import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createInvoker } from "../../src/agents/registry.js";
import { parseHookPayload } from "../../src/cli/hook-run.js";
import { runProcess } from "../../src/orchestrator/executor.js";
import { type ModelServer, startModelServer } from "../support/model-server/server.js";
import { waitFor } from "../support/processes.js";
import {
  agentSandbox,
  codexEnv,
  geminiEnv,
  OPENCODE_PROVIDER,
  opencodeEnv,
  realAgent,
} from "../support/real-agents.js";
import { runSpecKitty } from "../support/run-cli.js";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A stand-in `spec-kitty` first on PATH: it records the arguments and stdin it is run with, so
// that these tests check the hooks, not the import. Its record path is written into it: an agent
// may run hooks in a cleaned environment (Gemini CLI does).
const standIn = (record: string) => `#!/bin/sh
cat > '${record}.stdin'
printf '%s\\n' "$@" > '${record}.argv'
`;

type Env = Record<string, string | undefined>;
interface Case {
  readonly model: string;
  /** The agent's environment against the server, as a user who trusted the project has it. */
  readonly setup: (home: string, project: string, url: string) => Promise<Env>;
  /** Flags added after the invoker's first argument (what the user's trust stands for). */
  readonly extraArgs?: readonly string[];
}

const CASES: Record<"codex" | "gemini" | "opencode", Case> = {
  codex: {
    model: "gpt-5.1-codex",
    // Codex loads a project's hooks only in a trusted project, and runs one only once the user
    // trusted it in /hooks: the project trusted in its config, the hook by Codex's own flag.
    setup: async (home, project, url) => {
      const env = await codexEnv(home, url);
      const config = join(home, ".codex", "config.toml");
      const trusted = `[projects.${JSON.stringify(project)}]\ntrust_level = "trusted"\n`;
      await writeFile(config, `${await readFile(config, "utf8")}${trusted}`);
      return env;
    },
    extraArgs: ["--dangerously-bypass-hook-trust"],
  },
  gemini: {
    model: "gemini-2.5-pro",
    // Gemini CLI runs project hooks only in a folder the user trusted: here, by its variable.
    setup: async (home, _project, url) => ({
      ...(await geminiEnv(home, url)),
      GEMINI_CLI_TRUST_WORKSPACE: "true",
    }),
  },
  opencode: {
    model: `${OPENCODE_PROVIDER}/gpt-5.1-codex`,
    setup: (home, project, url) => opencodeEnv(home, project, url, ["gpt-5.1-codex"]),
  },
};

describe.each(Object.keys(CASES) as (keyof typeof CASES)[])("hooks: %s", (agent) => {
  const cli = realAgent(agent);
  const { model, setup, extraArgs = [] } = CASES[agent];
  it.skipIf("missing" in cli)(
    "a headless session in a project with the hook installed runs `hooks run` with its session id",
    async () => {
      server = await startModelServer([
        { kind: "text", text: "Done.", usage: { input: 10, output: 2 } },
      ]);
      const { home, project } = await agentSandbox();
      await mkdir(join(project, "kitty-specs"));
      const env = await setup(home, project, server.url);
      const install = await runSpecKitty(
        ["agent", "telemetry", "hooks", "install", "--agent", agent],
        { cwd: project },
      );
      expect(install.exitCode, install.stderr).toBe(0);
      const bin = join(home, "bin");
      const record = join(home, "hook");
      await mkdir(bin);
      await writeFile(join(bin, "spec-kitty"), standIn(record));
      await chmod(join(bin, "spec-kitty"), 0o755);
      env.PATH = [bin, env.PATH].join(delimiter);
      const command = createInvoker(agent, { model, env }).buildCommand(
        "Done?",
        project,
        "implementer",
      );
      const [first, ...rest] = command.args;
      const args = first === undefined ? [...extraArgs] : [first, ...extraArgs, ...rest];
      const out = await runProcess({
        ...command,
        args,
        cwd: project,
        env,
        timeoutMs: 45_000,
        killGraceMs: 1000,
      });
      expect(out.exitCode, out.stderr).toBe(0);
      // OpenCode's plugin starts the command without waiting for it.
      const recorded = () =>
        access(`${record}.argv`).then(
          () => true,
          () => false,
        );
      await waitFor(`${agent}'s hook`, recorded, 20_000);
      expect((await readFile(`${record}.argv`, "utf8")).split("\n")).toEqual([
        "agent",
        "telemetry",
        "hooks",
        "run",
        agent,
        "",
      ]);
      const stdin = await readFile(`${record}.stdin`, "utf8");
      expect(parseHookPayload(stdin)).toEqual({
        sessionId: expect.stringMatching(/^\S+$/),
        cwd: expect.stringContaining(project),
      });
    },
  );
});
