import type { SpecKittyCommand, SpecKittySignals } from "./session-logs.js";

/** A feature slug as spec-kitty makes it: three digits, a dash, lower-case words. */
const FEATURE = String.raw`\d{3}-[a-z0-9][a-z0-9-]*`;
const WP = String.raw`WP\d{2,}`;

// `/spec-kitty.implement WP02`, the slash command an agent runs in the main checkout.
const SLASH_COMMAND = new RegExp(String.raw`/spec-kitty\.([a-z]+)(?:[ \t]+(${WP}))?\b`, "g");
// `spec-kitty implement WP02` and `spec-kitty agent workflow review WP03 --feature 043-x`.
const CLI_COMMAND =
  /\bspec-kitty[ \t]+(?:agent[ \t]+(?:workflow|tasks|feature)[ \t]+)?([a-z]+(?:-[a-z]+)*)((?:[ \t]+[^\s;&|]+){0,6})/g;
const WP_ARG = new RegExp(`^(${WP})$`);
const FEATURE_FLAG = new RegExp(String.raw`--(?:feature|mission)[ \t=]+(${FEATURE})\b`);
// A work package's worktree, then any feature folder under kitty-specs/.
const WORKTREE_PATH = new RegExp(String.raw`\.worktrees/(${FEATURE}?)-(${WP})(?![A-Za-z0-9])`, "g");
const SPECS_PATH = new RegExp(`kitty-specs/(${FEATURE})/(?:tasks/(${WP})(?![0-9]))?`, "g");

/** The steps a `spec-kitty` command line can run that tell what a turn was doing. */
const STEPS = new Set([
  "specify",
  "clarify",
  "plan",
  "tasks",
  "analyze",
  "implement",
  "review",
  "accept",
  "merge",
  "move-task",
]);

/**
 * What `texts` (a turn's prompt and its tool inputs) say about spec-kitty: the commands run and
 * the features and work packages named by path. Pattern matches only, so that nothing of the
 * text itself is kept.
 */
export function specKittySignals(texts: readonly string[]): SpecKittySignals {
  const commands: SpecKittyCommand[] = [];
  const paths: { feature: string; wpId: string | null }[] = [];
  for (const text of texts) {
    for (const m of text.matchAll(SLASH_COMMAND)) {
      commands.push({ step: m[1] ?? "", wpId: m[2] ?? null, feature: null });
    }
    for (const m of text.matchAll(CLI_COMMAND)) {
      const step = m[1] ?? "";
      if (!STEPS.has(step)) continue;
      const args = (m[2] ?? "").trim().split(/[ \t]+/);
      const wpId = args.map((a) => WP_ARG.exec(a)?.[1]).find((w) => w !== undefined) ?? null;
      const feature = FEATURE_FLAG.exec(m[2] ?? "")?.[1] ?? null;
      commands.push({ step, wpId, feature });
    }
    for (const m of text.matchAll(WORKTREE_PATH)) {
      if (m[1] && m[2]) paths.push({ feature: m[1], wpId: m[2] });
    }
    for (const m of text.matchAll(SPECS_PATH)) {
      if (m[1]) paths.push({ feature: m[1], wpId: m[2] ?? null });
    }
  }
  return { commands: unique(commands), paths: unique(paths) };
}

/** No signals: a turn that named nothing of spec-kitty. */
export const NO_SIGNALS: SpecKittySignals = { commands: [], paths: [] };

function unique<T>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
