import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";

/** The placeholder home the real-CLI session fixtures were scrubbed to. */
export const FIXTURE_HOME = "/home/dev";

/**
 * A copy of a session-log fixture folder at `to`, with the scrubbed home `/home/dev` in every
 * text file replaced by `home`: the sessions then ran in a project under `home`, as on the
 * machine that made them. A SQLite database (OpenCode's) gets the same in every text column.
 */
export async function localizedFixture(from: string, to: string, home: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await localizedFixture(source, target, home);
      continue;
    }
    const bytes = await readFile(source);
    if (!entry.name.endsWith(".db")) {
      await writeFile(target, bytes.toString("utf8").replaceAll(FIXTURE_HOME, home));
      continue;
    }
    await writeFile(target, bytes);
    localizeDatabase(target, home);
  }
}

function localizeDatabase(path: string, home: string): void {
  const db = new Database(path);
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as {
        name: string;
        type: string;
      }[];
      for (const column of columns.filter((c) => /text|json|^$/i.test(c.type))) {
        db.prepare(
          `UPDATE "${name}" SET "${column.name}" = replace("${column.name}", ?, ?) WHERE typeof("${column.name}") = 'text'`,
        ).run(FIXTURE_HOME, home);
      }
    }
  } finally {
    db.close();
  }
}
