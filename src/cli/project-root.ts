import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CliError } from "./errors.js";

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isProjectRoot(dir: string): Promise<boolean> {
  return (
    (await isDirectory(join(dir, "kitty-specs"))) || (await isDirectory(join(dir, ".kittify")))
  );
}

/**
 * The project root: `repo` when given (it must be a project), otherwise the first folder from
 * `cwd` upwards that holds `kitty-specs/` or `.kittify/`.
 */
export async function findProjectRoot(cwd: string, repo?: string): Promise<string> {
  if (repo !== undefined) {
    const root = resolve(cwd, repo);
    if (!(await isDirectory(root))) {
      throw new CliError("NOT_IN_PROJECT", `--repo ${repo}: no such directory`);
    }
    if (!(await isProjectRoot(root))) {
      throw new CliError(
        "NOT_IN_PROJECT",
        `--repo ${repo}: not a spec-kitty project (no kitty-specs/ or .kittify/ in ${root})`,
      );
    }
    return root;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (await isProjectRoot(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new CliError(
    "NOT_IN_PROJECT",
    `not inside a spec-kitty project (no kitty-specs/ or .kittify/ in ${resolve(cwd)} or above); use --repo DIR`,
  );
}
