import { spawn } from "node:child_process";
import { join } from "node:path";

export interface CliChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  /** True when the run outlived its time limit and was killed. */
  readonly timedOut: boolean;
  /** The child's peak resident memory in MiB (NaN when it did not finish). */
  readonly maxRssMib: number;
}

const SCRIPT = join(import.meta.dirname, "..", "hardening", "fixtures", "cli-child.ts");

/**
 * Runs `spec-kitty <args>` in a child Node process (tsx), killed after `timeoutMs`: a hang
 * fails the test instead of hanging the suite. The time limit is a guard, not a measure.
 */
export function runCliChild(
  args: readonly string[],
  options: { readonly cwd: string; readonly timeoutMs?: number },
): Promise<CliChildRun> {
  return new Promise((resolve, reject) => {
    // tsx resolved from here: the child runs in a temp project that has no node_modules.
    const child = spawn(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), SCRIPT, ...args],
      {
        cwd: options.cwd,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", TZ: "UTC" },
      },
    );
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      const rss = /max-rss-kb (\d+)\n$/.exec(stderr);
      resolve({
        stdout,
        stderr: rss ? stderr.slice(0, rss.index) : stderr,
        exitCode,
        timedOut,
        maxRssMib: rss ? Number(rss[1]) / 1024 : Number.NaN,
      });
    });
  });
}
