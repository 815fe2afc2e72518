import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The placeholder home the real-CLI session fixtures were scrubbed to. */
export const FIXTURE_HOME = "/home/dev";

/**
 * A copy of a session-log fixture folder at `to`, with the scrubbed home `/home/dev` in every
 * text file replaced by `home`: the sessions then ran in a project under `home`, as on the
 * machine that made them. Binary files (a database) are copied as they are.
 */
export async function localizedFixture(from: string, to: string, home: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await localizedFixture(source, target, home);
    else if (/\.(jsonl?|ya?ml|md)$/.test(entry.name)) {
      const text = await readFile(source, "utf8");
      await writeFile(target, text.replaceAll(FIXTURE_HOME, home));
    } else await cp(source, target);
  }
}
