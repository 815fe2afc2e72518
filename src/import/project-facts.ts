import { realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { listFeatureDirs } from "../telemetry/features.js";
import type { WarningSink } from "../telemetry/warnings.js";
import { type LaneWindow, laneWindows } from "./lane-windows.js";

/**
 * The project's reserved feature folder for usage that no signal places: a feature slug, so that
 * every report shows it as a row and the Python spec-kitty reads its log like any other.
 */
export const UNATTRIBUTED_FEATURE = "000-unattributed";
/** The `wp_id` of usage whose work package is unknown (in a feature, or in the bucket). */
export const UNATTRIBUTED_WP = "unattributed";

/** What attribution needs to know of the project, read once per import. */
export interface ProjectFacts {
  /** The project root, resolved through symlinks. */
  readonly realRoot: string;
  /** The feature folders under kitty-specs/ (the bucket excluded). */
  readonly features: ReadonlySet<string>;
  readonly windows: readonly LaneWindow[];
  /** `path` resolved through symlinks as far as it exists (a removed worktree keeps its name). */
  normalise(path: string): Promise<string>;
}

/** Reads the project's features and their WPs' lane windows. */
export async function projectFacts(root: string, warn: WarningSink): Promise<ProjectFacts> {
  const cache = new Map<string, Promise<string>>();
  const normalise = (path: string) => {
    let found = cache.get(path);
    if (found === undefined) {
      found = realAsFarAsExists(resolve(path));
      cache.set(path, found);
    }
    return found;
  };
  const realRoot = await normalise(root);
  const dirs = (await listFeatureDirs(root, { warn })).filter(
    (f) => f.slug !== UNATTRIBUTED_FEATURE,
  );
  const windows: LaneWindow[] = [];
  for (const f of dirs) windows.push(...(await laneWindows(f.dir, f.slug)));
  return { realRoot, features: new Set(dirs.map((f) => f.slug)), windows, normalise };
}

async function realAsFarAsExists(path: string): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real !== null) return real;
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realAsFarAsExists(parent), basename(path));
}

/** `path`'s parts below `root` (both normalised), or null when it is not inside. */
export function partsInside(root: string, path: string): string[] | null {
  if (path === root) return [];
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) return null;
  return rel.split(sep);
}
