import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import picomatch from "picomatch";
import { TelemetryError } from "./errors.js";
import type { WarningSink } from "./warnings.js";

/** A feature folder under `kitty-specs/`. */
export interface FeatureDir {
  readonly slug: string;
  readonly dir: string;
}

/** The folder that holds every feature of a project. */
export const FEATURES_FOLDER = "kitty-specs";

/**
 * A matcher for `--feature`: a folder name prefix or glob (`043`, `043-*` and `04*` all match
 * `043-telemetry-foundation`). Paths are refused so that a pattern never reaches outside
 * `kitty-specs/`.
 */
export function featureMatcher(pattern: string): (slug: string) => boolean {
  if (pattern === "" || /[/\\]/.test(pattern) || pattern === "." || pattern === "..") {
    throw new TelemetryError(
      "INVALID_FEATURE_PATTERN",
      `--feature takes a feature folder name or glob under ${FEATURES_FOLDER}/ (e.g. 043 or 04*), not ${JSON.stringify(pattern)}`,
    );
  }
  const options = { dot: false, nocase: false };
  const exact = picomatch(pattern, options);
  const prefix = picomatch(`${pattern}*`, options);
  return (slug) => exact(slug) || prefix(slug);
}

/**
 * The project's feature folders, sorted by name, optionally only those `pattern` matches.
 * A symlinked feature that leads outside `kitty-specs/` is ignored with one warning.
 * No `kitty-specs/` folder means no features.
 */
export async function listFeatureDirs(
  repoRoot: string,
  options: { readonly pattern?: string | undefined; readonly warn: WarningSink },
): Promise<FeatureDir[]> {
  const matches = options.pattern === undefined ? () => true : featureMatcher(options.pattern);
  const root = join(repoRoot, FEATURES_FOLDER);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  const features: FeatureDir[] = [];
  const realRoot = await realpath(root);
  // Two names for one folder (a symlink to a sibling) would count its events twice.
  const seen = new Set<string>();
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!matches(entry.name) || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    const dir = join(root, entry.name);
    const target = await realpath(dir).catch(() => undefined);
    if (target === undefined || !(await isDirectory(target))) continue;
    if (!target.startsWith(realRoot + sep)) {
      options.warn({
        code: "FEATURE_OUTSIDE_PROJECT",
        file: dir,
        message: `${dir}: ignored, a symlink that leads outside ${FEATURES_FOLDER}/ (to ${target})`,
      });
      continue;
    }
    if (seen.has(target)) continue;
    seen.add(target);
    features.push({ slug: entry.name, dir });
  }
  return features;
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
