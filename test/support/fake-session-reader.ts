import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  SessionCall,
  SessionLogReader,
  SessionProblemKind,
  SessionTurn,
  SessionUnit,
} from "../../src/agents/session-logs.js";
import { NO_SIGNALS } from "../../src/agents/spec-kitty-signals.js";
import { tempDir } from "./temp-project.js";

/** One unit of a fake agent: its turns and the problems reading it meets. */
export interface FakeUnit {
  readonly id: string;
  stamp: string;
  lastWriteMs: number;
  turns: SessionTurn[];
  problems?: readonly { kind: SessionProblemKind; where: string }[];
}

/**
 * A session-log reader over hand-built units (the import is tested against the contract, not
 * an agent's files): `units` may change between imports, `reads` counts the units read.
 */
export function fakeReader(agent: string, units: FakeUnit[], retentionDays: number | null = null) {
  const reads: string[] = [];
  const reader: SessionLogReader = {
    agent,
    defaultSources: (env) => [env.FAKE_HOME ?? "/nowhere"],
    async *discover() {
      for (const u of units) {
        yield { id: u.id, files: [u.id], stamp: u.stamp, lastWriteMs: u.lastWriteMs };
      }
    },
    async *read(unit: SessionUnit, problems) {
      reads.push(unit.id);
      const found = units.find((u) => u.id === unit.id);
      for (const p of found?.problems ?? []) problems.report(p.kind, p.where, "fake problem");
      yield* found?.turns ?? [];
    },
    retentionDays: async () => retentionDays,
  };
  return { reader, reads };
}

/** A call with a round usage, made in `cwd`. */
export function call(key: string, over: Partial<SessionCall> = {}): SessionCall {
  return {
    key,
    timestamp: "2026-03-01T10:00:05.000Z",
    model: "claude-sonnet-4-5",
    usage: {
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 1000,
      cacheWriteTokens: 50,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    },
    costUsd: null,
    cwd: null,
    gitBranch: null,
    subagent: false,
    ...over,
  };
}

/** A closed turn of session `s1` at 10:00 on 2026-03-01 with `calls`. */
export function turn(
  turnId: string,
  calls: readonly SessionCall[],
  over: Partial<SessionTurn> = {},
): SessionTurn {
  return {
    turnId,
    sessionId: "s1",
    startedAt: "2026-03-01T10:00:00.000Z",
    endedAt: "2026-03-01T10:01:30.000Z",
    closed: true,
    signals: NO_SIGNALS,
    calls,
    ...over,
  };
}

export const FEATURE = "043-telemetry-foundation";
export const OTHER_FEATURE = "044-dashboard";

/**
 * A project with two features, WP01 and WP02 worktrees of the first, and WP prompt files whose
 * lane history has WP01 in `doing` from 09:00 to 12:00 on 2026-03-01 (WP02 never).
 */
export async function importProject(): Promise<string> {
  const root = await tempDir();
  for (const f of [FEATURE, OTHER_FEATURE])
    await mkdir(join(root, "kitty-specs", f, "tasks"), { recursive: true });
  for (const wp of ["WP01", "WP02"]) {
    await mkdir(join(root, ".worktrees", `${FEATURE}-${wp}`, "src"), { recursive: true });
  }
  await writeFile(
    join(root, "kitty-specs", FEATURE, "tasks", "WP01-setup.md"),
    [
      "---",
      'work_package_id: "WP01"',
      'title: "Setup"',
      'lane: "for_review"',
      "history:",
      '  - timestamp: "2026-02-28T08:00:00Z"',
      '    lane: "planned"',
      '    agent: "system"',
      '    action: "Prompt generated via /spec-kitty.tasks"',
      '  - timestamp: "2026-03-01T09:00:00Z"',
      '    lane: "doing"',
      '    agent: "claude"',
      '    shell_pid: "4242"',
      '  - timestamp: "2026-03-01T12:00:00Z"',
      '    lane: "for_review"',
      "---",
      "# WP01",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(root, "kitty-specs", FEATURE, "tasks", "WP02-more.md"),
    "---\nwork_package_id: WP02\nlane: planned\nhistory:\n  - timestamp: '2026-02-28T08:00:00Z'\n    lane: planned\n---\n",
  );
  return root;
}
