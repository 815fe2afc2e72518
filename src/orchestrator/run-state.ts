import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as Type from "typebox/type";
import { lazyCompile } from "../events/lazy-compile.js";
import { stringRecord } from "../events/string-record.js";
import { assertFolderInside, readSmallFile, replaceFile } from "../telemetry/project-paths.js";

/** How a work package ended in a run; only `approved` is skipped by the next run. */
export const WP_OUTCOMES = [
  "approved",
  "rejected",
  "failed",
  "blocked",
  "skipped",
  "interrupted",
] as const;
export type WpOutcome = (typeof WP_OUTCOMES)[number];

const StateFile = lazyCompile(
  Type.Object({
    feature: Type.String(),
    workPackages: stringRecord(
      Type.Object({
        outcome: Type.Union(WP_OUTCOMES.map((o) => Type.Literal(o))),
        attempts: Type.Integer({ minimum: 0 }),
        updatedAt: Type.String(),
      }),
    ),
  }),
);

/** Where a feature's orchestration progress is kept. */
export function runStatePath(projectRoot: string, feature: string): string {
  return join(projectRoot, ".kittify", "orchestrate", `${feature}.json`);
}

/**
 * The progress of a feature's runs in `.kittify/orchestrate/<feature>.json`, so that a run
 * started again skips the work packages already approved. Saves are queued and atomic.
 */
export class RunState {
  private readonly path: string;
  private readonly projectRoot: string;
  private readonly feature: string;
  private readonly entries: Map<
    string,
    { outcome: WpOutcome; attempts: number; updatedAt: string }
  >;
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    path: string,
    projectRoot: string,
    feature: string,
    entries: RunState["entries"],
  ) {
    this.path = path;
    this.projectRoot = projectRoot;
    this.feature = feature;
    this.entries = entries;
  }

  /** Loads the state; a missing or unreadable file starts afresh (`problem` says why). */
  static async load(
    projectRoot: string,
    feature: string,
  ): Promise<{ state: RunState; problem: string | null }> {
    const path = runStatePath(projectRoot, feature);
    // Only a regular file inside the project, and not a huge one.
    const text = await readSmallFile(path, { root: projectRoot, maxBytes: 1 << 20 }).catch(
      () => null,
    );
    let data: unknown = null;
    try {
      data = text === null ? null : JSON.parse(text);
    } catch {
      data = undefined;
    }
    // No file is no state: its validator is not compiled for it (a dashboard reads many).
    const saved = data !== null && StateFile.Check(data) && data.feature === feature ? data : null;
    const entries: RunState["entries"] = new Map(
      saved === null ? [] : Object.entries(saved.workPackages),
    );
    const problem =
      text !== null && saved === null ? `${path} is not a valid run state; starting afresh` : null;
    return { state: new RunState(path, projectRoot, feature, entries), problem };
  }

  /** How the last run on `wpId` ended, and its attempts; undefined when none ran it. */
  outcomeOf(wpId: string): { readonly outcome: WpOutcome; readonly attempts: number } | undefined {
    return this.entries.get(wpId);
  }

  /** Whether an earlier run got `wpId` approved. */
  isApproved(wpId: string): boolean {
    return this.entries.get(wpId)?.outcome === "approved";
  }

  /** Records how `wpId` ended and saves the file (rejects when it cannot be written). */
  record(wpId: string, outcome: WpOutcome, attempts: number): Promise<void> {
    this.entries.set(wpId, { outcome, attempts, updatedAt: new Date().toISOString() });
    const save = async () => {
      await assertFolderInside(dirname(this.path), this.projectRoot);
      await mkdir(dirname(this.path), { recursive: true });
      // Replaced by a rename: never written through a symlink.
      const workPackages = Object.fromEntries(
        [...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)),
      );
      await replaceFile(
        this.path,
        `${JSON.stringify({ feature: this.feature, workPackages }, null, 2)}\n`,
        this.projectRoot,
      );
    };
    this.pending = this.pending.then(save, save);
    return this.pending;
  }
}
