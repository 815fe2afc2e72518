import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitChangesSince, gitSnapshot } from "../../src/orchestrator/git-changes.js";
import { tempDir } from "../support/temp-project.js";

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();
}

async function repo(): Promise<string> {
  const dir = await tempDir();
  git(dir, "init", "-q");
  return dir;
}

describe("gitChangesSince", () => {
  it("reports the agent's commits and the files it changed, not what was dirty before", async () => {
    const dir = await repo();
    await writeFile(join(dir, "a.ts"), "a\n");
    await writeFile(join(dir, "b.ts"), "b\n");
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "base");
    await writeFile(join(dir, "wip.ts"), "the user's own unsaved work\n");
    const before = await gitSnapshot(dir);
    // The "agent": commits a change to a.ts, then edits b.ts and adds c.ts without committing.
    await writeFile(join(dir, "a.ts"), "a2\n");
    git(dir, "commit", "-qam", "agent work");
    await writeFile(join(dir, "b.ts"), "b2\n");
    await writeFile(join(dir, "c.ts"), "c\n");
    expect(await gitChangesSince(before)).toEqual({
      filesModified: ["a.ts", "b.ts", "c.ts"],
      commitsMade: [git(dir, "rev-parse", "HEAD")],
    });
  });

  it("counts every file of the first commit in a repository that had none", async () => {
    const dir = await repo();
    const before = await gitSnapshot(dir);
    await writeFile(join(dir, "x.ts"), "x\n");
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "first");
    expect(await gitChangesSince(before)).toEqual({
      filesModified: ["x.ts"],
      commitsMade: [git(dir, "rev-parse", "HEAD")],
    });
  });

  it("reports nothing outside a git work tree", async () => {
    const dir = await tempDir();
    const before = await gitSnapshot(dir);
    await writeFile(join(dir, "x.ts"), "x\n");
    expect([before, await gitChangesSince(before)]).toEqual([
      null,
      { filesModified: [], commitsMade: [] },
    ]);
  });
});

describe("gitChangesSince and our own files", () => {
  it("never counts the telemetry log, clock, index or run state as an agent's change", async () => {
    const dir = await repo();
    const before = await gitSnapshot(dir);
    await mkdir(join(dir, "kitty-specs", "001-x"), { recursive: true });
    await mkdir(join(dir, ".kittify", "orchestrate"), { recursive: true });
    for (const file of [
      "kitty-specs/001-x/execution.events.jsonl",
      "kitty-specs/001-x/.telemetry-clock.json",
      "kitty-specs/001-x/.execution.events.jsonl.index.json",
      ".kittify/orchestrate/001-x.json",
      "kitty-specs/001-x/spec.md",
    ]) {
      await writeFile(join(dir, file), "{}\n");
    }
    expect((await gitChangesSince(before)).filesModified).toEqual(["kitty-specs/001-x/spec.md"]);
  });
});
