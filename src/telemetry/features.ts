import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { TelemetryError } from "./errors.js";
import { compileGlob, MAX_GLOB_LENGTH } from "./feature-glob.js";
import type { WarningSink } from "./warnings.js";

/** A feature folder under `kitty-specs/`. */
export interface FeatureDir {
  readonly slug: string;
  readonly dir: string;
}

/** The folder that holds every feature of a project. */
export const FEATURES_FOLDER = "kitty-specs";

/**
 * What a feature folder made by `emit` may be called: spec-kitty's `NNN-kebab-case-name`, lower
 * case, at most 100 characters. No path, space, control character, glob or leading `-`, and not
 * a bare number (`001` beside `001-x` would make a second feature).
 */
export const FEATURE_SLUG_PATTERN = /^[0-9]{3}-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_SLUG_LENGTH = 100;

/** Whether `slug` is a feature folder name `emit` may create (see FEATURE_SLUG_PATTERN). */
export function isFeatureSlug(slug: string): boolean {
  return slug.length <= MAX_SLUG_LENGTH && FEATURE_SLUG_PATTERN.test(slug);
}

/**
 * The existing features a new slug is most likely a typo of: those it is the beginning of
 * (`043-tele` of `043-telemetry-foundation`) or that already carry its number (spec-kitty
 * numbers features uniquely). Empty when `slug` exists or looks new; folders only.
 */
export async function featuresLike(repoRoot: string, slug: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, FEATURES_FOLDER), { withFileTypes: true }).catch(
    (): Dirent[] => [],
  );
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (names.includes(slug)) return [];
  const number = slug.slice(0, 4);
  return names.filter((name) => name.startsWith(slug) || name.startsWith(number)).sort();
}

/**
 * A matcher for `--feature`: a folder name prefix or glob (`043`, `043-*` and `04*` all match
 * `043-telemetry-foundation`; `*`, `?` and `[...]` classes, see feature-glob.ts). Paths are
 * refused so that a pattern never reaches outside `kitty-specs/`.
 */
export function featureMatcher(pattern: string): (slug: string) => boolean {
  if (pattern === "" || /[/\\]/.test(pattern) || pattern === "." || pattern === "..") {
    throw new TelemetryError(
      "INVALID_FEATURE_PATTERN",
      `--feature takes a feature folder name or glob under ${FEATURES_FOLDER}/ (e.g. 043 or 04*), not ${JSON.stringify(pattern)}`,
    );
  }
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw new TelemetryError(
      "INVALID_FEATURE_PATTERN",
      `--feature takes at most ${MAX_GLOB_LENGTH} characters; got ${pattern.length}`,
    );
  }
  // A prefix is a glob with `*` after it; that also matches the name exactly.
  return compileGlob(`${pattern}*`);
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
    // A folder that is no symlink is where it was listed, under the real root: resolved without
    // two round trips through the thread pool per feature (a report lists them all, one by one).
    const real = entry.isDirectory();
    const target = real ? join(realRoot, entry.name) : await realpath(dir).catch(() => undefined);
    if (target === undefined || !(real || (await isDirectory(target)))) continue;
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
