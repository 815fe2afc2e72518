import { execFile } from "node:child_process";
import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";
import { writeVariedLog } from "../support/varied-log.js";

// The shipped CLI is a bundle (scripts/bundle.mjs, run by `npm ci` through `prepare`): these
// tests run it as users do, because a bundle can break what the sources never do (a CommonJS
// dependency reading __filename, a worker file not beside the bundle).
const BUNDLE = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
const run = promisify(execFile);

async function specKitty(args: string[]) {
  await access(BUNDLE).catch(() => {
    throw new Error(`${BUNDLE} is missing: run npm run build (npm ci does it)`);
  });
  return run(process.execPath, [BUNDLE, ...args], {
    env: { ...process.env, NO_COLOR: "1", TZ: "UTC" },
  });
}

describe("the bundled CLI (dist/cli/main.js)", () => {
  it("emits with its clock file and index written, and no warning", async () => {
    const root = await copyOfFixtureProject();
    const feature = "043-telemetry-foundation";
    const args = ["agent", "telemetry", "emit", "--repo", root, "-f", feature, "-r", "implementer"];
    const { stdout, stderr } = await specKitty([...args, "--json"]);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toMatchObject({ result: "success" });
    const files = await readdir(join(root, "kitty-specs", feature));
    expect(files).toEqual(
      expect.arrayContaining([".telemetry-clock.json", ".execution.events.jsonl.index.json"]),
    );
  });

  it("reports with its worker threads what the sources report", async () => {
    const root = await tempDir();
    // Over 16 MiB in all: the scan splits it between the main thread and a worker.
    await writeVariedLog(root, "043-big", 24_000);
    await writeVariedLog(root, "044-big", 24_000);
    const args = [
      "agent",
      "telemetry",
      "cost",
      "--repo",
      root,
      "--group-by",
      "agent,model",
      "--json",
    ];
    const bundled = await specKitty(args);
    const sources = await runSpecKitty(args);
    expect(bundled.stdout).toBe(sources.stdout);
    expect(bundled.stderr).toBe(sources.stderr);
    expect(JSON.parse(bundled.stdout).length).toBeGreaterThan(5);
  });

  it("writes with its worker threads the dashboard the sources write (the pass beside the bundle)", async () => {
    const root = await tempDir();
    await writeVariedLog(root, "043-big", 24_000);
    await writeVariedLog(root, "044-big", 24_000);
    const page = async (out: string, write: (args: string[]) => Promise<unknown>) => {
      await write(["agent", "telemetry", "dashboard", "--repo", root, "--out", join(root, out)]);
      const html = await readFile(join(root, out), "utf8");
      const data = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(
        html,
      );
      const { generated_at, ...rest } = JSON.parse(data?.[1] ?? "null") as Record<string, unknown>;
      return rest;
    };
    const bundled = await page("bundled.html", specKitty);
    expect(bundled).toEqual(await page("sources.html", (args) => runSpecKitty(args)));
    expect(bundled.outcomes).not.toEqual([]);
  });
});
