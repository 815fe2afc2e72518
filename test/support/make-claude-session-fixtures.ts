// Regenerates test/fixtures/session-logs/claude/: runs the real Claude Code (test/e2e-agents)
// against the local model server for the runs of claude-sessions.ts, then copies its projects
// folder with the machine's temp path replaced by /home/dev.
//   npx tsx test/support/make-claude-session-fixtures.ts
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_BIN } from "./agent-env.js";
import { makeClaudeSessions } from "./claude-sessions.js";

const OUT = join(import.meta.dirname, "..", "fixtures", "session-logs", "claude");
/** What the temp folder becomes in the saved files. */
const SCRUBBED = "/home/dev";

/** Claude Code's project folder name for a path: every non-alphanumeric character a dash. */
const folderName = (path: string) => path.replace(/[^a-zA-Z0-9]/g, "-");

const base = await mkdtemp(join(tmpdir(), "claude-fixtures-"));
try {
  const { home, sessions } = await makeClaudeSessions(join(AGENT_BIN, "claude"), base);
  const target = join(OUT, "projects");
  await rm(target, { recursive: true, force: true });
  await cp(join(home, ".claude", "projects"), target, { recursive: true });
  await scrub(target, base);
  const names = Object.fromEntries(sessions);
  await writeFile(join(OUT, "sessions.json"), `${JSON.stringify(names, null, 2)}\n`);
  process.stdout.write(`wrote ${target}\n`);
} finally {
  await rm(base, { recursive: true, force: true });
}

/** Replaces `base` in every file's text and folder name under `dir`; fails on any leftover. */
async function scrub(dir: string, from: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    let path = join(dir, entry.name);
    if (entry.name.includes(folderName(from))) {
      const renamed = join(dir, entry.name.replace(folderName(from), folderName(SCRUBBED)));
      await rename(path, renamed);
      path = renamed;
    }
    if (entry.isDirectory()) {
      await scrub(path, from);
      continue;
    }
    const text = (await readFile(path, "utf8")).replaceAll(from, SCRUBBED);
    if (text.includes(tmpdir())) throw new Error(`${path} still names ${tmpdir()}`);
    await writeFile(path, text);
  }
}
