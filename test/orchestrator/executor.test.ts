import { describe, expect, it } from "vitest";
import { runProcess } from "../../src/orchestrator/executor.js";
import { stillRunning } from "../support/processes.js";
import { tempDir } from "../support/temp-project.js";

const node = (script: string, stdin: string | null = null, extra = {}) => ({
  command: process.execPath,
  args: ["-e", script],
  stdin,
  env: process.env,
  timeoutMs: 20_000,
  killGraceMs: 300,
  ...extra,
});

// Prints the pid of a grandchild that ignores SIGTERM, in the same process group.
const GRANDCHILD = `
const { spawn } = require("node:child_process");
const g = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: ["ignore", "inherit", "ignore"] });
g.unref();
process.stdout.write(String(g.pid) + "\\n");
`;

describe("runProcess", () => {
  it("gives the prompt on stdin and keeps stdout, stderr and the exit code apart", async () => {
    const cwd = await tempDir();
    const out = await runProcess({
      ...node(
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write(s.toUpperCase());process.stderr.write(process.cwd());process.exitCode=3})",
        "the prompt",
      ),
      cwd,
    });
    expect({ ...out, durationSeconds: out.durationSeconds > 0 }).toEqual({
      stdout: "THE PROMPT",
      stderr: cwd,
      exitCode: 3,
      signal: null,
      timedOut: false,
      interrupted: null,
      durationSeconds: true,
      truncated: { stdout: false, stderr: false },
    });
  });

  it("on timeout kills the whole process group, a grandchild deaf to SIGTERM included", async () => {
    const out = await runProcess({
      ...node(`${GRANDCHILD} setInterval(() => {}, 1000);`, null, { timeoutMs: 1000 }),
      cwd: await tempDir(),
    });
    const grandchild = Number(out.stdout.trim());
    expect({
      timedOut: out.timedOut,
      exitCode: out.exitCode,
      alive: await stillRunning(grandchild),
    }).toEqual({
      timedOut: true,
      exitCode: null,
      alive: false,
    });
  });

  it("when the agent exits, ends what it left behind holding its output open", async () => {
    const out = await runProcess({ ...node(GRANDCHILD), cwd: await tempDir() });
    expect({
      exitCode: out.exitCode,
      alive: await stillRunning(Number(out.stdout.trim())),
    }).toEqual({
      exitCode: 0,
      alive: false,
    });
  });

  it("caps each stream, keeping its end (where the final records are)", async () => {
    const out = await runProcess({
      ...node("process.stdout.write('x'.repeat(300000) + 'THE END')", null, {
        maxOutputBytes: 1000,
      }),
      cwd: await tempDir(),
    });
    expect({
      length: out.stdout.length,
      end: out.stdout.endsWith("xTHE END"),
      truncated: out.truncated,
    }).toEqual({
      length: 1000,
      end: true,
      truncated: { stdout: true, stderr: false },
    });
  });

  it("an executable that is not installed is a clear error", async () => {
    await expect(
      runProcess({ ...node(""), command: "no-such-agent-cli", cwd: await tempDir() }),
    ).rejects.toMatchObject({
      code: "AGENT_NOT_INSTALLED",
      message: "no-such-agent-cli is not installed (not found on PATH)",
    });
  });
});
