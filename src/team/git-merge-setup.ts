import { execFile } from "node:child_process";
import { join } from "node:path";
import { CodedError } from "../events/errors.js";
import { CLOCK_FILE, EVENT_LOG_FILE } from "../telemetry/emit.js";
import { FEATURES_FOLDER } from "../telemetry/features.js";
import { readSmallFile, replaceFile } from "../telemetry/project-paths.js";

/** The merge driver's name in `.gitattributes` and in git's config. */
export const CLOCK_MERGE_DRIVER = "spec-kitty-clock";

// Logs are append-only lines: a union merge keeps both sides' new lines, which is what a merge
// of two branches' events means (duplicates, if any, are dropped by event id when read). The
// clock files are merged by taking each node's highest value (our driver).
const ATTRIBUTE_LINES = [
  `${FEATURES_FOLDER}/**/${EVENT_LOG_FILE} merge=union`,
  `${FEATURES_FOLDER}/**/${CLOCK_FILE} merge=${CLOCK_MERGE_DRIVER}`,
] as const;

// What is local to a clone (the store's index, a writer's lock, the report cache, what this
// clone imported, exported and synced): committed, it would conflict on every merge.
const IGNORE_LINES = [
  `${FEATURES_FOLDER}/*/.${EVENT_LOG_FILE}.index.json`,
  `${FEATURES_FOLDER}/*/${EVENT_LOG_FILE}.lock/`,
  ".kittify/cache/",
  ".kittify/import-state.json",
  ".kittify/export/",
] as const;

const ATTRIBUTES_HEADER = "# spec-kitty telemetry: event logs and clocks merge without conflicts";
const IGNORE_HEADER =
  "# spec-kitty telemetry: the store's index, a writer's lock, the report cache";
const MAX_FILE_BYTES = 1 << 20;

export type GitSetupErrorCode = "NOT_A_GIT_REPOSITORY" | "GIT_FAILED";

/** `git` is missing, or the project is not in a git work tree. */
export class GitSetupError extends CodedError<GitSetupErrorCode> {}

/** What `setUpGitMerge` found or changed. */
export interface GitMergeSetup {
  /** The `.gitattributes` lines that were added (none when all were there). */
  readonly attributesAdded: readonly string[];
  /** The `.gitignore` lines that were added. */
  readonly ignoreAdded: readonly string[];
  /** Whether the clock merge driver was (re)written into the repository's git config. */
  readonly driverConfigured: boolean;
  /** The driver command git runs, as configured now. */
  readonly driver: string;
}

/** The state of the merge setup, without changing anything. */
export interface GitMergeStatus {
  readonly attributesMissing: readonly string[];
  readonly ignoreMissing: readonly string[];
  /** The configured driver command, or null when this clone has none. */
  readonly driver: string | null;
}

/**
 * Makes `root`'s telemetry files merge in git: the `.gitattributes` lines (shared through the
 * repository, added once, the user's other lines kept) and the clock driver in this clone's
 * git config (`git config` is per clone, so each clone runs this once). `command` is how git
 * should start spec-kitty, e.g. `[node, main.js]`.
 */
export async function setUpGitMerge(
  root: string,
  command: readonly string[],
): Promise<GitMergeSetup> {
  await git(root, ["rev-parse", "--is-inside-work-tree"]);
  const attributesAdded = await addMissingLines(
    join(root, ".gitattributes"),
    root,
    ATTRIBUTES_HEADER,
    ATTRIBUTE_LINES,
  );
  const ignoreAdded = await addMissingLines(
    join(root, ".gitignore"),
    root,
    IGNORE_HEADER,
    IGNORE_LINES,
  );
  const driver = `${command.map(shellQuoted).join(" ")} agent telemetry merge-clock %O %A %B`;
  const before = await configured(root);
  if (before !== driver) {
    await git(root, [
      "config",
      `merge.${CLOCK_MERGE_DRIVER}.name`,
      "spec-kitty telemetry clocks: each node's highest value",
    ]);
    await git(root, ["config", `merge.${CLOCK_MERGE_DRIVER}.driver`, driver]);
  }
  return { attributesAdded, ignoreAdded, driverConfigured: before !== driver, driver };
}

/** What is set up for merges in `root`, and what is missing. */
export async function gitMergeStatus(root: string): Promise<GitMergeStatus> {
  await git(root, ["rev-parse", "--is-inside-work-tree"]);
  const read = async (name: string) =>
    (await readSmallFile(join(root, name), { root, maxBytes: MAX_FILE_BYTES })) ?? "";
  return {
    attributesMissing: missingLines(await read(".gitattributes"), ATTRIBUTE_LINES),
    ignoreMissing: missingLines(await read(".gitignore"), IGNORE_LINES),
    driver: await configured(root),
  };
}

/** Appends to the file at `path` those of `lines` it lacks (under `header`); returns them. */
async function addMissingLines(
  path: string,
  root: string,
  header: string,
  lines: readonly string[],
): Promise<string[]> {
  const existing = (await readSmallFile(path, { root, maxBytes: MAX_FILE_BYTES })) ?? "";
  const missing = missingLines(existing, lines);
  if (missing.length === 0) return missing;
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  const heading = existing.includes(header) ? [] : [header];
  await replaceFile(path, `${existing}${separator}${[...heading, ...missing].join("\n")}\n`, root);
  return missing;
}

/** Those of `lines` that `text` does not hold (whitespace inside a line aside). */
function missingLines(text: string, lines: readonly string[]): string[] {
  const present = new Set(text.split(/\r?\n/).map((line) => line.trim().replace(/\s+/g, " ")));
  return lines.filter((line) => !present.has(line));
}

async function configured(root: string): Promise<string | null> {
  const value = await git(root, ["config", "--get", `merge.${CLOCK_MERGE_DRIVER}.driver`]).catch(
    () => "",
  );
  return value.trim() === "" ? null : value.trim();
}

// git runs the driver through the shell: every word is quoted as it is.
function shellQuoted(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", [...args], { cwd }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout);
      if (args[0] === "rev-parse") {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        return reject(
          new GitSetupError(
            "NOT_A_GIT_REPOSITORY",
            missing
              ? "git is not installed (or not on PATH)"
              : `${cwd} is not inside a git work tree (git init first)`,
          ),
        );
      }
      reject(new GitSetupError("GIT_FAILED", `git ${args.join(" ")} failed: ${stderr.trim()}`));
    });
  });
}
