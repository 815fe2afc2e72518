import { describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { buildProgram } from "../../src/cli/program.js";

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const program = buildProgram({
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  const exitCode = await program.parseAsync(args, { from: "user" }).then(
    () => 0,
    (e: { exitCode?: number }) => e.exitCode ?? 1,
  );
  return { stdout, stderr, exitCode };
}

describe("spec-kitty", () => {
  it("prints its version", async () => {
    expect(await run(["--version"])).toEqual({
      stdout: `${packageJson.version}\n`,
      stderr: "",
      exitCode: 0,
    });
  });

  it("refuses an unknown option with exit 1 and a message on stderr", async () => {
    expect(await run(["--bogus"])).toEqual({
      stdout: "",
      stderr: expect.stringContaining("unknown option '--bogus'"),
      exitCode: 1,
    });
  });
});
