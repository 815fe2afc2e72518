import { describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { runCli } from "../../src/cli/program.js";
import { CodedError } from "../../src/events/errors.js";
import { PricingTableError } from "../../src/telemetry/pricing.js";
import { runSpecKitty as run } from "../support/run-cli.js";

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

describe("runCli: one line for a coded error, the stack for a bug", () => {
  it("prints a coded error (a bad --group-by) as one line, exit 1", async () => {
    expect(await run(["agent", "telemetry", "cost", "--group-by", "vendor"])).toEqual({
      stdout: "",
      stderr: expect.stringMatching(/^spec-kitty: invalid --group-by "vendor": [^\n]*\n$/),
      exitCode: 1,
    });
  });

  it("prints the stack of an error that is not a coded one (a bug), exit 1", async () => {
    let stderr = "";
    const exitCode = await runCli(["--version"], {
      stdout: () => {
        throw new TypeError("stdout broke");
      },
      stderr: (text) => {
        stderr += text;
      },
      cwd: process.cwd(),
      env: {},
    });
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(
      /^spec-kitty: internal error \(a bug; please report it\):\nTypeError: stdout broke\n\s+at /,
    );
  });

  it("PricingTableError is a coded error", () => {
    const error = new PricingTableError("the shipped pricing table is invalid");
    expect([error instanceof CodedError, error.code, error.name]).toEqual([
      true,
      "PRICING_TABLE_UNAVAILABLE",
      "PricingTableError",
    ]);
  });
});
