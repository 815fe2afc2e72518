import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as Type from "typebox/type";
import { parse as parseYaml } from "yaml";
import { lazyCompile } from "../events/lazy-compile.js";

/** A time during which a work package was in the `doing` lane. */
export interface LaneWindow {
  readonly feature: string;
  readonly wpId: string;
  /** Epoch milliseconds, inclusive. */
  readonly from: number;
  /** Epoch milliseconds, exclusive; Infinity while the WP is still in `doing`. */
  readonly to: number;
}

// What spec-kitty writes in a WP prompt's frontmatter: `history:` entries, each with the time
// and the lane the WP moved to (agent, shell_pid and action are not needed here).
const Frontmatter = lazyCompile(
  Type.Object({
    history: Type.Array(
      Type.Object(
        { timestamp: Type.String(), lane: Type.String() },
        { additionalProperties: true },
      ),
    ),
  }),
);

const PROMPT_FILE = /^(WP\d{2,})-.*\.md$/;
const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;

/**
 * The `doing` windows of a feature's work packages, from `kitty-specs/<f>/tasks/WPnn-*.md`.
 * A file without a readable history gives none: the windows are the least certain signal.
 */
export async function laneWindows(featureDir: string, feature: string): Promise<LaneWindow[]> {
  const tasks = join(featureDir, "tasks");
  const names = await readdir(tasks).catch(() => [] as string[]);
  const windows: LaneWindow[] = [];
  for (const name of names.sort()) {
    const wpId = PROMPT_FILE.exec(name)?.[1];
    if (wpId === undefined) continue;
    const text = await readFile(join(tasks, name), "utf8").catch(() => "");
    windows.push(...windowsOf(text, feature, wpId));
  }
  return windows;
}

function windowsOf(text: string, feature: string, wpId: string): LaneWindow[] {
  const yaml = FRONTMATTER.exec(text)?.[1];
  if (yaml === undefined) return [];
  let data: unknown;
  try {
    data = parseYaml(yaml);
  } catch {
    return [];
  }
  if (!Frontmatter.Check(data)) return [];
  const moves = data.history
    .map((h) => ({ at: Date.parse(h.timestamp), lane: h.lane }))
    .filter((m) => !Number.isNaN(m.at))
    .sort((a, b) => a.at - b.at);
  return moves.flatMap((move, i) =>
    move.lane === "doing"
      ? [{ feature, wpId, from: move.at, to: moves[i + 1]?.at ?? Number.POSITIVE_INFINITY }]
      : [],
  );
}
