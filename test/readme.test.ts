import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSpecKitty } from "./support/run-cli.js";
import { copyOfProject } from "./support/temp-project.js";

const ROOT = join(import.meta.dirname, "..");

describe("README", () => {
  it("shows the main command's real output on the bundled demo project", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The main job"));
    const [, command = "", output = ""] =
      /```sh\n(.*)\n```[\s\S]*?```\n([\s\S]*?)```/.exec(section) ?? [];
    // Run in a copy of examples/demo-project: a report writes its cache into the project.
    const copy = await copyOfProject(
      join(ROOT, "examples", "demo-project"),
      "examples/demo-project",
    );
    const run = await runSpecKitty(command.replace(/^npx spec-kitty /, "").split(" "), {
      cwd: copy,
    });
    expect({ command, exitCode: run.exitCode, stdout: run.stdout }).toEqual({
      command: "npx spec-kitty agent telemetry cost --repo examples/demo-project",
      exitCode: 0,
      stdout: output,
    });
  });
});
