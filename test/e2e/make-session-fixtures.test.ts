import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AgentSession,
  runAgentSession,
  type SessionAgent,
} from "../support/agent-sessions.js";
import { realAgent } from "../support/real-agents.js";

/**
 * Regenerates test/fixtures/session-logs/{gemini,opencode,copilot}/ from the real CLIs:
 * `SPEC_KITTY_MAKE_SESSION_FIXTURES=1 npx vitest run test/e2e/make-session-fixtures.test.ts`.
 * Skipped otherwise (tests never write into tracked files). The temp HOME's path is replaced by
 * HOME_PLACEHOLDER in every copied file and database row.
 */
const MAKE = process.env.SPEC_KITTY_MAKE_SESSION_FIXTURES === "1";
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "session-logs");
export const HOME_PLACEHOLDER = "/home/dev";

let session: AgentSession | undefined;
afterEach(async () => {
  await session?.server.close();
  session = undefined;
});

async function scrubFiles(dir: string, home: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.endsWith(".db")) continue;
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replaceAll(home, HOME_PLACEHOLDER));
  }
}

/** Our copy of the database, the HOME path replaced in every text column, compacted. */
function scrubDatabase(path: string, home: string): void {
  const db = new Database(path);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as {
      name: string;
      type: string;
    }[];
    for (const { name, type } of columns) {
      if (!/text/i.test(type)) continue;
      db.prepare(`UPDATE "${table}" SET "${name}" = replace("${name}", ?, ?)`).run(
        home,
        HOME_PLACEHOLDER,
      );
    }
  }
  db.pragma("journal_mode = DELETE");
  db.exec("VACUUM");
  db.close();
}

async function fresh(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

const SAVE: Record<SessionAgent, (s: AgentSession, out: string) => Promise<void>> = {
  gemini: async (s, out) => {
    await cp(join(s.home, ".gemini", "tmp"), join(out, "tmp"), { recursive: true });
    await cp(join(s.home, ".gemini", "projects.json"), join(out, "projects.json"));
    await scrubFiles(out, s.home);
  },
  opencode: async (s, out) => {
    const data = join(s.home, ".local", "share", "opencode");
    await cp(join(data, "opencode.db"), join(out, "opencode.db"));
    for (const side of ["-wal", "-shm"]) {
      const from = join(data, `opencode.db${side}`);
      if (await stat(from).catch(() => null)) await cp(from, join(out, `opencode.db${side}`));
    }
    scrubDatabase(join(out, "opencode.db"), s.home);
  },
  copilot: async (s, out) => {
    // The events and the workspace only: the rest (checkpoints, file snapshots) has no usage.
    const from = join(s.home, ".copilot", "session-state", s.sessionId);
    const to = join(out, "session-state", s.sessionId);
    await mkdir(to, { recursive: true });
    for (const name of ["events.jsonl", "workspace.yaml"])
      await cp(join(from, name), join(to, name));
    await scrubFiles(out, s.home);
  },
};

describe.skipIf(!MAKE)("session-log fixtures from the real CLIs", () => {
  it.each(["gemini", "opencode", "copilot"] as const)(
    "%s: two prompts in the WP01 worktree",
    async (agent) => {
      if ("missing" in realAgent(agent)) throw new Error(`${agent} is not installed`);
      session = await runAgentSession(agent);
      for (const run of session.runs) expect(run.exitCode, run.stderr).toBe(0);
      expect(session.server.turnsLeft).toBe(0);
      const out = await fresh(join(FIXTURES, agent));
      await SAVE[agent](session, out);
      const files = await readdir(out, { recursive: true });
      expect(files.length, relative(FIXTURES, out)).toBeGreaterThan(0);
    },
    180_000,
  );
});
