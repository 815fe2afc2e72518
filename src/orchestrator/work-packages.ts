import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import * as Type from "typebox/type";
import { parse as parseYaml } from "yaml";
import { lazyCompile } from "../events/lazy-compile.js";
import { FEATURES_FOLDER, listFeatureDirs } from "../telemetry/features.js";
import { stderrWarningSink, type WarningSink } from "../telemetry/warnings.js";
import { OrchestratorError } from "./errors.js";

/** One work package: its prompt file's frontmatter and body. */
export interface WorkPackage {
  readonly id: string;
  readonly title: string;
  readonly dependencies: readonly string[];
  /** The prompt file, relative to the project root. */
  readonly promptFile: string;
  /** The prompt: the file without its frontmatter. */
  readonly body: string;
}

/**
 * A work package id: it names a folder (`.worktrees/<feature>-<id>`), a pid file and an event's
 * `wp_id`, so no path separator, no leading dot, nothing a terminal or shell would act on.
 */
const WP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const WP_ID_RULE =
  'must be letters, digits, ".", "_" or "-", starting with a letter or digit (at most 64), e.g. WP01';

const Frontmatter = lazyCompile(
  Type.Object({
    work_package_id: Type.String({ minLength: 1 }),
    title: Type.Optional(Type.String()),
    dependencies: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  }),
);

const PROMPT_FILE = /^(WP\d+)-.*\.md$/;

/**
 * The feature folder under `kitty-specs/` that `feature` names: exactly, or as the one folder its
 * prefix or glob matches (the same matching as the reports' `--feature`, never outside).
 */
export async function resolveFeature(
  projectRoot: string,
  feature: string,
  warn: WarningSink = stderrWarningSink,
): Promise<string> {
  const matches = (await listFeatureDirs(projectRoot, { pattern: feature, warn })).map(
    (f) => f.slug,
  );
  if (matches.includes(feature)) return feature;
  const [only] = matches;
  if (only !== undefined && matches.length === 1) return only;
  throw new OrchestratorError(
    "FEATURE_NOT_FOUND",
    matches.length === 0
      ? `no feature matches ${JSON.stringify(feature)} in ${join(projectRoot, FEATURES_FOLDER)}`
      : `${JSON.stringify(feature)} matches several features: ${matches.join(", ")}`,
  );
}

/** Reads `kitty-specs/<feature>/tasks/WPxx-*.md`, validating each file's frontmatter. */
export async function loadWorkPackages(
  projectRoot: string,
  feature: string,
): Promise<WorkPackage[]> {
  const tasks = join(projectRoot, "kitty-specs", feature, "tasks");
  const files = await readdir(tasks).then(
    (names) => names.filter((n) => PROMPT_FILE.test(n)).sort(),
    (): string[] => [],
  );
  if (files.length === 0) {
    throw new OrchestratorError(
      "NO_WORK_PACKAGES",
      `no work package prompt files (WPxx-*.md) in ${relative(projectRoot, tasks)}`,
    );
  }
  const packages = await Promise.all(
    files.map((name) => readWorkPackage(projectRoot, join(tasks, name))),
  );
  const seen = new Map<string, string>();
  for (const wp of packages) {
    const other = seen.get(wp.id);
    if (other !== undefined) {
      throw new OrchestratorError(
        "INVALID_WORK_PACKAGE",
        `${wp.id} is declared by both ${other} and ${wp.promptFile}`,
      );
    }
    seen.set(wp.id, wp.promptFile);
  }
  return packages;
}

async function readWorkPackage(projectRoot: string, path: string): Promise<WorkPackage> {
  const promptFile = relative(projectRoot, path);
  const text = await readFile(path, "utf8");
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  const invalid = (why: string) =>
    new OrchestratorError("INVALID_WORK_PACKAGE", `${promptFile}: ${why}`);
  if (match === null) throw invalid("no YAML frontmatter (--- ... ---) at the top");
  let data: unknown;
  try {
    data = parseYaml(match[1] ?? "");
  } catch (e) {
    throw invalid(`frontmatter is not valid YAML: ${e instanceof Error ? e.message : e}`);
  }
  if (!Frontmatter.Check(data)) {
    const first = Frontmatter.Errors(data)[0];
    const where = first?.instancePath ? ` ${first.instancePath}` : "";
    throw invalid(`frontmatter${where} ${first?.message ?? "is invalid"}`);
  }
  // Checked here, at the boundary: the id becomes part of the agent's working directory.
  if (!WP_ID.test(data.work_package_id)) throw invalid(`work_package_id ${WP_ID_RULE}`);
  return {
    id: data.work_package_id,
    title: data.title ?? data.work_package_id,
    dependencies: data.dependencies ?? [],
    promptFile,
    body: text.slice(match[0].length).trim(),
  };
}

/**
 * Checks the dependency graph before anything runs: every dependency must have a prompt file
 * and there must be no cycle. Throws the first problem found.
 */
export function checkDependencies(packages: readonly WorkPackage[]): void {
  const byId = new Map(packages.map((wp) => [wp.id, wp]));
  for (const wp of packages) {
    for (const dep of wp.dependencies) {
      if (!byId.has(dep)) {
        throw new OrchestratorError(
          "MISSING_PROMPT_FILE",
          `${wp.id} depends on ${dep}, which has no prompt file (tasks/${dep}-*.md)`,
        );
      }
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string, path: readonly string[]): void => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new OrchestratorError("DEPENDENCY_CYCLE", `dependency cycle: ${cycle.join(" -> ")}`);
    }
    state.set(id, "visiting");
    for (const dep of byId.get(id)?.dependencies ?? []) visit(dep, [...path, id]);
    state.set(id, "done");
  };
  for (const wp of packages) visit(wp.id, []);
}

/** Where an agent works on a work package: its worktree when there is one, else the root. */
export async function workingDirectory(
  projectRoot: string,
  feature: string,
  wpId: string,
): Promise<string> {
  const worktrees = join(projectRoot, ".worktrees");
  const worktree = join(worktrees, `${feature}-${wpId}`);
  // Ids are checked when read; this keeps any other caller inside the project too.
  if (dirname(worktree) !== worktrees) {
    throw new OrchestratorError(
      "INVALID_WORK_PACKAGE",
      `work package id ${JSON.stringify(wpId)} ${WP_ID_RULE}`,
    );
  }
  const isDir = await stat(worktree).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir ? worktree : projectRoot;
}
