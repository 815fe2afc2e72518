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

/** A writable copy of the fixture project. */
export async function copyOfFixtureProject(): Promise<string> {
  const dir = await tempDir();
  await cp(FIXTURE_PROJECT, dir, { recursive: true });
  return dir;
}
