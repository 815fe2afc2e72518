import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";

/** The state of a git work tree before an agent runs in it. */
export interface GitSnapshot {
  readonly root: string;
  readonly head: string | null;
  /** Paths already changed or untracked before the run, with what they looked like then. */
  readonly dirty: ReadonlyMap<string, string>;
}

/** What an agent changed in the work tree: files (relative to the repository root) and commits. */
export interface GitChanges {
  readonly filesModified: readonly string[];
  readonly commitsMade: readonly string[];
}

const NO_CHANGES: GitChanges = { filesModified: [], commitsMade: [] };

// Our own bookkeeping (event logs, clocks, their index and lock, run state) is written while
// agents run; it is never an agent's change.
const OWN_FILES =
  /(?:^|\/)(?:\.kittify\/|execution\.events\.jsonl|\.execution\.events\.jsonl\.index\.json|\.telemetry-clock\.json)/;

function git(cwd: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("git", [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
}

// `git status -z`: entries "XY path\0", a rename adds its old path as a further "\0" field.
function statusPaths(output: string): string[] {
  const fields = output.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? "";
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return paths;
}

async function dirtyPaths(root: string): Promise<string[] | null> {
  const out = await git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
  return out === null ? null : statusPaths(out);
}

// A file dirty before the run counts as modified by it only if it looks different after.
async function fingerprint(root: string, path: string): Promise<string> {
  return stat(join(root, path)).then(
    (s) => `${s.size}:${s.mtimeMs}`,
    () => "absent",
  );
}

/** The work tree's state, or null when `cwd` is not in a git work tree (or git is missing). */
export async function gitSnapshot(cwd: string): Promise<GitSnapshot | null> {
  const root = (await git(cwd, ["rev-parse", "--show-toplevel"]))?.trim();
  if (!root) return null;
  const head = (await git(root, ["rev-parse", "--verify", "-q", "HEAD"]))?.trim() || null;
  const dirty = new Map<string, string>();
  for (const path of (await dirtyPaths(root)) ?? []) {
    dirty.set(path, await fingerprint(root, path));
  }
  return { root, head, dirty };
}

/**
 * What changed since `before`: commits added to HEAD (oldest first), and files committed by them
 * or changed in the work tree that were not already changed, unchanged since, before the run.
 * Agents running at once in one work tree cannot be told apart: each sees the others' changes.
 */
export async function gitChangesSince(before: GitSnapshot | null): Promise<GitChanges> {
  if (before === null) return NO_CHANGES;
  const { root } = before;
  const head = (await git(root, ["rev-parse", "--verify", "-q", "HEAD"]))?.trim() || null;
  const range = before.head === null ? ["HEAD"] : [`${before.head}..HEAD`];
  const commitsMade =
    head === null || head === before.head
      ? []
      : ((await git(root, ["rev-list", "--reverse", ...range]))?.split("\n").filter(Boolean) ?? []);
  const files = new Set<string>();
  if (commitsMade.length > 0) {
    const listed =
      before.head === null
        ? await git(root, ["ls-tree", "-r", "--name-only", "-z", "HEAD"])
        : await git(root, ["diff", "--name-only", "-z", before.head, "HEAD"]);
    for (const path of listed?.split("\0").filter(Boolean) ?? []) files.add(path);
  }
  for (const path of (await dirtyPaths(root)) ?? []) {
    const was = before.dirty.get(path);
    if (was === undefined || was !== (await fingerprint(root, path))) files.add(path);
  }
  return { filesModified: [...files].filter((f) => !OWN_FILES.test(f)).sort(), commitsMade };
}
