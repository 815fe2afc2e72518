import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SessionCall } from "../../src/agents/session-logs.js";
import { NO_SIGNALS, specKittySignals } from "../../src/agents/spec-kitty-signals.js";
import { attributeCall, signalTarget } from "../../src/import/attribution.js";
import { projectFacts } from "../../src/import/project-facts.js";
import { call, FEATURE, importProject, OTHER_FEATURE } from "../support/fake-session-reader.js";
import { tempDir } from "../support/temp-project.js";

const IN_WINDOW = "2026-03-01T10:00:05.000Z";
const NO_WINDOW = "2026-03-02T10:00:05.000Z";
const WT = `.worktrees/${FEATURE}-`;

// [case, cwd (relative to the root unless absolute; null: unknown), branch, turn texts, time, expected]
type Row = [string, string | null, string | null, string[], string, string | null];

const ROWS: Row[] = [
  [
    "a WP worktree, over branch and command",
    `${WT}WP01/src`,
    `${FEATURE}-WP02`,
    ["/spec-kitty.review WP02"],
    NO_WINDOW,
    `${FEATURE}/WP01 worktree`,
  ],
  [
    "a removed WP worktree (its name still says)",
    `${WT}WP03/deep/dir`,
    null,
    [],
    NO_WINDOW,
    `${FEATURE}/WP03 worktree`,
  ],
  [
    "the branch when the cwd is unknown",
    null,
    `${FEATURE}-WP02`,
    [],
    IN_WINDOW,
    `${FEATURE}/WP02 branch`,
  ],
  [
    "a feature branch in the main checkout",
    ".",
    FEATURE,
    [],
    IN_WINDOW,
    `${FEATURE}/unattributed branch`,
  ],
  [
    "a branch of a feature not in this project",
    ".",
    "099-elsewhere-WP01",
    [],
    NO_WINDOW,
    "000-unattributed/unattributed none",
  ],
  [
    "the implement command and a spec path",
    ".",
    "main",
    ["/spec-kitty.implement WP02", `read kitty-specs/${FEATURE}/spec.md`],
    IN_WINDOW,
    `${FEATURE}/WP02 command`,
  ],
  [
    "a CLI command naming its feature",
    ".",
    "main",
    [`spec-kitty agent workflow review WP01 --feature ${OTHER_FEATURE}`],
    IN_WINDOW,
    `${OTHER_FEATURE}/WP01 command`,
  ],
  [
    "two features named: the lane window decides",
    ".",
    "main",
    [`kitty-specs/${FEATURE}/plan.md kitty-specs/${OTHER_FEATURE}/plan.md`],
    IN_WINDOW,
    `${FEATURE}/WP01 lane-window`,
  ],
  ["the one WP in doing at the time", ".", "main", [], IN_WINDOW, `${FEATURE}/WP01 lane-window`],
  [
    "a worktree of an unknown feature: inside, by time",
    ".worktrees/099-gone-WP01",
    null,
    [],
    IN_WINDOW,
    `${FEATURE}/WP01 lane-window`,
  ],
  [
    "nothing at all in the main checkout",
    ".",
    "main",
    [],
    NO_WINDOW,
    "000-unattributed/unattributed none",
  ],
  [
    "no cwd, no signal (time says nothing then)",
    null,
    null,
    [],
    IN_WINDOW,
    "000-unattributed/unattributed none",
  ],
  [
    "another project, whatever it names",
    "/srv/other-project",
    `${FEATURE}-WP01`,
    ["/spec-kitty.implement WP01"],
    IN_WINDOW,
    null,
  ],
];

async function place(
  root: string,
  cwd: string | null,
  branch: string | null,
  texts: string[],
  at: string,
) {
  const facts = await projectFacts(root, () => undefined);
  const signals = texts.length === 0 ? NO_SIGNALS : specKittySignals(texts);
  const c: SessionCall = call("k", {
    cwd: cwd === null || cwd.startsWith("/") ? cwd : join(root, cwd),
    gitBranch: branch,
    timestamp: at,
  });
  const target = await attributeCall(c, signalTarget(signals, facts), facts);
  return target === null ? null : `${target.feature}/${target.wpId} ${target.attribution}`;
}

describe("attributeCall: the most certain signal first", () => {
  it.each(ROWS)("%s", async (_, cwd, branch, texts, at, expected) => {
    const root = await importProject();
    expect(await place(root, cwd, branch, texts, at)).toBe(expected);
  });

  it("finds the worktree through a symlinked project path", async () => {
    const root = await importProject();
    const link = join(await tempDir(), "linked");
    await symlink(root, link);
    const facts = await projectFacts(link, () => undefined);
    const target = await attributeCall(call("k", { cwd: join(root, `${WT}WP02`) }), null, facts);
    expect(target).toEqual({ feature: FEATURE, wpId: "WP02", attribution: "worktree" });
  });

  it("gives a WP named without a feature to the project's only feature", async () => {
    const root = await importProject();
    const facts = await projectFacts(root, () => undefined);
    const only = { ...facts, features: new Set([FEATURE]) };
    expect(signalTarget(specKittySignals(["/spec-kitty.implement WP02"]), only)).toEqual({
      feature: FEATURE,
      wpId: "WP02",
      attribution: "command",
    });
  });
});
