import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { importArgv, parseHookPayload } from "../../src/cli/hook-run.js";
import { type ModelServer, startModelServer } from "../support/model-server/server.js";
import { agentSandbox, claudeEnv, realAgent, runInvoker } from "../support/real-agents.js";
import { runSpecKitty } from "../support/run-cli.js";

const claude = realAgent("claude");

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A stand-in `spec-kitty` first on PATH: it records the arguments and stdin it is run with, so
// that this test checks the hook, not the import.
const STAND_IN = `#!/bin/sh
printf '%s\\n' "$@" > "$SPEC_KITTY_RECORD.argv"
cat > "$SPEC_KITTY_RECORD.stdin"
`;

describe.skipIf("missing" in claude)(
  "missing" in claude
    ? `hooks: Claude Code (skipped: ${claude.missing})`
    : "hooks: Claude Code 2.1.197",
  () => {
    it("a headless session in a project with the hook installed runs `hooks run claude` with its SessionEnd input", async () => {
      server = await startModelServer([
        { kind: "text", text: "Done.", usage: { input: 10, output: 2 } },
      ]);
      const { home, project } = await agentSandbox();
      await mkdir(join(project, "kitty-specs"));
      const install = await runSpecKitty(
        ["agent", "telemetry", "hooks", "install", "--agent", "claude"],
        {
          cwd: project,
        },
      );
      expect(install.exitCode).toBe(0);
      const bin = join(home, "bin");
      await mkdir(bin);
      await writeFile(join(bin, "spec-kitty"), STAND_IN);
      await chmod(join(bin, "spec-kitty"), 0o755);
      const record = join(home, "hook");
      const env = claudeEnv(home, server.url, { SPEC_KITTY_RECORD: record });
      env.PATH = [bin, env.PATH].join(delimiter);
      const { out } = await runInvoker("claude", {
        project,
        env,
        model: "claude-sonnet-4-5",
        timeoutMs: 45_000,
      });
      expect(out.exitCode).toBe(0);
      expect((await readFile(`${record}.argv`, "utf8")).split("\n")).toEqual([
        "agent",
        "telemetry",
        "hooks",
        "run",
        "claude",
        "",
      ]);
      const input = JSON.parse(await readFile(`${record}.stdin`, "utf8")) as Record<
        string,
        unknown
      >;
      expect(input).toMatchObject({ hook_event_name: "SessionEnd", cwd: project });
      expect(input.session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(String(input.transcript_path)).toContain(`${input.session_id}.jsonl`);
      // The seam, fed what Claude Code really sent: the import of that session, in this project.
      const payload = parseHookPayload(await readFile(`${record}.stdin`, "utf8"));
      expect(payload).toEqual({ sessionId: input.session_id, cwd: project });
      expect(importArgv("claude", input.session_id as string, project)).toEqual([
        "agent",
        "telemetry",
        "import",
        "--agent",
        "claude",
        "--ended-session",
        input.session_id,
        "--repo",
        project,
      ]);
    });
  },
);
