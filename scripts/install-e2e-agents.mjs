// Installs the real agent CLIs the end-to-end tests run (test/e2e-agents, pinned by its own
// lockfile), from the root's `prepare`, so `npm ci && npm test` on a clean clone needs no other
// step. Skipped in well under a second when the pinned versions are already there.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const dir = join(import.meta.dirname, "..", "test", "e2e-agents");
const say = (line) => process.stderr.write(`e2e agents: ${line}\n`);

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** Whether every pinned CLI is installed at its pinned version, its executable in place. */
function upToDate() {
  const manifest = readJson(join(dir, "package.json"));
  return Object.entries(manifest?.dependencies ?? {}).every(([name, version]) => {
    const installed = readJson(join(dir, "node_modules", name, "package.json"));
    const bins = Object.keys(installed?.bin ?? {});
    return (
      installed?.version === version &&
      bins.length > 0 &&
      bins.every((bin) => existsSync(join(dir, "node_modules", ".bin", bin)))
    );
  });
}

if (process.env.SPEC_KITTY_SKIP_E2E_AGENTS === "1") {
  say("SPEC_KITTY_SKIP_E2E_AGENTS=1: not installed; the end-to-end tests will be skipped");
} else if (!existsSync(join(dir, "package-lock.json"))) {
  // Installed as a package (no test folder): nothing to do.
} else if (upToDate()) {
  say("already installed");
} else {
  say("installing the pinned agent CLIs into test/e2e-agents (about 1.3 GB) ...");
  const npm = process.env.npm_execpath;
  const args = ["ci", "--prefix", dir, "--no-audit", "--no-fund"];
  const run =
    npm === undefined
      ? spawnSync("npm", args, { stdio: "inherit" })
      : spawnSync(process.execPath, [npm, ...args], { stdio: "inherit", cwd: dirname(dir) });
  if (run.status !== 0) {
    // On a developer's machine the library still builds, and the e2e tests say they are skipped
    // and why; in CI a missing CLI would hide what those tests prove, so it fails.
    say(`npm ci failed (${run.status ?? run.signal}); e2e tests will be skipped`);
    if (process.env.CI) process.exit(1);
  }
}
