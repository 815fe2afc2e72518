import { describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
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
