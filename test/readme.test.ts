import { readFileSync } from "node:fs";
import { copyFile, mkdir, readFile } from "node:fs/promises";
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

/** Every `npx spec-kitty ...` command in the README's sh blocks, continuation lines joined. */
function shCommands(readme: string): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  return blocks
    .flatMap((block) => block.replaceAll("\\\n", " ").split("\n"))
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line.startsWith("npx spec-kitty "));
}

describe("README examples, pasted from the repository root", () => {
  it("finds the examples (the one that fetches from the network is run by hand)", async () => {
    const commands = shCommands(await readFile(join(ROOT, "README.md"), "utf8"));
    expect(commands.filter((c) => c.includes("https://"))).toHaveLength(1);
    expect(commands.length).toBeGreaterThanOrEqual(4);
  });

  it.each(
    shCommands(readFileSync(join(ROOT, "README.md"), "utf8")).filter(
      (c) => !c.includes("https://"),
    ),
  )("%s", async (command) => {
    // The repository's demo project and the pricing fixture, at their paths in a fresh folder.
    const copy = await copyOfProject(
      join(ROOT, "examples", "demo-project"),
      "examples/demo-project",
    );
    await mkdir(join(copy, "test", "fixtures", "pricing"), { recursive: true });
    await copyFile(
      join(ROOT, "test", "fixtures", "pricing", "litellm-snapshot.json"),
      join(copy, "test", "fixtures", "pricing", "litellm-snapshot.json"),
    );
    const run = await runSpecKitty(command.replace(/^npx spec-kitty /, "").split(" "), {
      cwd: copy,
    });
    expect([run.exitCode, run.stderr]).toEqual([0, ""]);
  });
});
