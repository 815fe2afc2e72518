import { isAbsolute } from "node:path";
import type { SessionCall, SpecKittySignals } from "../agents/session-logs.js";
import type { Attribution } from "../telemetry/execution-payload.js";
import type { LaneWindow } from "./lane-windows.js";
import {
  type ProjectFacts,
  partsInside,
  UNATTRIBUTED_FEATURE,
  UNATTRIBUTED_WP,
} from "./project-facts.js";

/** Where a call's usage is recorded: a feature's log, a work package (or none), and why. */
export interface Target {
  readonly feature: string;
  readonly wpId: string;
  readonly attribution: Attribution;
}

/** The project's bucket for usage no signal places. */
export const UNATTRIBUTED: Target = {
  feature: UNATTRIBUTED_FEATURE,
  wpId: UNATTRIBUTED_WP,
  attribution: "none",
};

// `<feature>-<WPnn>`: the lazy feature and the mandatory WP suffix keep `-wp` in slugs safe.
const WP_NAME = /^(\d{3}-[a-z0-9][a-z0-9-]*?)-(WP\d{2,})$/;
const FEATURE_NAME = /^\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Where one call belongs, most certain signal first: its working directory in a WP worktree of
 * this project; its git branch; what the turn named (`turnTarget`, see `signalTarget`); in the
 * main checkout, the one WP in `doing` at the call's time; else the unattributed bucket. Null
 * when the call was made in another folder than this project: it is not this project's.
 */
export async function attributeCall(
  call: SessionCall,
  turnTarget: Target | null,
  facts: ProjectFacts,
): Promise<Target | null> {
  let inProject = false;
  if (call.cwd !== null && isAbsolute(call.cwd)) {
    const parts = partsInside(facts.realRoot, await facts.normalise(call.cwd));
    if (parts === null) return null;
    inProject = true;
    const worktree = parts[0] === ".worktrees" ? namedTarget(parts[1], facts, "worktree") : null;
    if (worktree !== null) return worktree;
  }
  const branch = call.gitBranch === null ? null : namedTarget(call.gitBranch, facts, "branch");
  if (branch !== null) return branch;
  if (turnTarget !== null) return turnTarget;
  // A time window says nothing of a call that may have been made in any other project.
  if (inProject) {
    const window = windowTarget(Date.parse(call.timestamp), facts.windows);
    if (window !== null) return window;
  }
  return UNATTRIBUTED;
}

/** The target a worktree folder or branch name gives: `<feature>-<WPnn>`, or `<feature>` alone. */
function namedTarget(
  name: string | undefined,
  facts: ProjectFacts,
  attribution: Attribution,
): Target | null {
  if (name === undefined) return null;
  const wp = WP_NAME.exec(name);
  if (wp?.[1] !== undefined && wp[2] !== undefined && facts.features.has(wp[1])) {
    return { feature: wp[1], wpId: wp[2], attribution };
  }
  // A worktree is always a WP's; a branch may be the feature's own.
  if (attribution === "branch" && FEATURE_NAME.test(name) && facts.features.has(name)) {
    return { feature: name, wpId: UNATTRIBUTED_WP, attribution };
  }
  return null;
}

/**
 * What a turn's spec-kitty commands and paths name, when they agree on one feature of this
 * project: its one named WP, else the feature alone. A WP named without a feature belongs to
 * the feature the paths name, or to the project's only feature. Null when nothing or several
 * features are named.
 */
export function signalTarget(signals: SpecKittySignals, facts: ProjectFacts): Target | null {
  const named = [
    ...signals.commands.map((c) => ({ feature: c.feature, wpId: c.wpId })),
    ...signals.paths,
  ].filter((n) => n.feature === null || facts.features.has(n.feature));
  const features = new Set(named.flatMap((n) => (n.feature === null ? [] : [n.feature])));
  const onlyFeature = facts.features.size === 1 ? [...facts.features][0] : undefined;
  const feature =
    features.size === 1 ? [...features][0] : features.size === 0 ? onlyFeature : undefined;
  if (feature === undefined) return null;
  const mine = named.filter((n) => n.feature === feature || n.feature === null);
  if (mine.length === 0) return null;
  const wps = new Set(mine.flatMap((n) => (n.wpId === null ? [] : [n.wpId])));
  const wpId = wps.size === 1 ? ([...wps][0] as string) : UNATTRIBUTED_WP;
  return { feature, wpId, attribution: "command" };
}

/** The one WP in `doing` at `at` (or their feature when several of one feature were), else null. */
export function windowTarget(at: number, windows: readonly LaneWindow[]): Target | null {
  const open = windows.filter((w) => w.from <= at && at < w.to);
  const wps = new Set(open.map((w) => `${w.feature}\0${w.wpId}`));
  const features = new Set(open.map((w) => w.feature));
  const [first] = open;
  if (first === undefined || features.size > 1) return null;
  return {
    feature: first.feature,
    wpId: wps.size === 1 ? first.wpId : UNATTRIBUTED_WP,
    attribution: "lane-window",
  };
}
