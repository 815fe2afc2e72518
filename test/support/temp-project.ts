import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

const created: string[] = [];

afterEach(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh empty folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "spec-kitty-test-"));
  created.push(dir);
  return dir;
}

/** The real spec-kitty fixture project, bundled with the tests. */
export const FIXTURE_PROJECT = join(import.meta.dirname, "..", "fixtures", "spec-kitty-project");

/** A writable copy of the fixture project (a test that reports on it writes a cache there). */
export async function copyOfFixtureProject(): Promise<string> {
  return copyOfProject(FIXTURE_PROJECT);
}

/**
 * A writable copy of a project in the repository, without any report cache it may hold, at
 * `under` in a fresh folder; returns that folder.
 */
export async function copyOfProject(project: string, under = ""): Promise<string> {
  const dir = await tempDir();
  const cache = join(project, ".kittify", "cache");
  const filter = (source: string) => !source.startsWith(cache);
  await cp(project, join(dir, under), { recursive: true, filter });
  return dir;
}
