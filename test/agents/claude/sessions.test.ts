import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeSessions } from "../../../src/agents/claude/sessions.js";
import type {
  SessionProblemKind,
  SessionTurn,
  SessionUnit,
} from "../../../src/agents/session-logs.js";
import { SESSION_READERS } from "../../../src/agents/session-readers.js";
import { HAIKU_ID, modelOf, RUNS, requestUsage, SONNET_ID } from "../../support/claude-sessions.js";
import { tempDir } from "../../support/temp-project.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "session-logs");
const MADE = join(FIXTURES, "claude");
const SAMPLES = join(FIXTURES, "claude-code");
const SHOP = "/home/dev/shop";
const WP01 = `${SHOP}/.worktrees/043-x-WP01`;
const WP02 = `${SHOP}/.worktrees/043-x-WP02`;

interface Problem {
  readonly kind: SessionProblemKind;
  readonly where: string;
  readonly detail: string;
}

/** Everything the reader makes of `sources`: its units, each unit's turns, the problems. */
async function readAll(sources: readonly string[]) {
  const problems: Problem[] = [];
  const sink = {
    report: (kind: SessionProblemKind, where: string, detail: string) =>
      problems.push({ kind, where, detail }),
  };
  const units: SessionUnit[] = [];
  const turns: SessionTurn[][] = [];
  for await (const unit of claudeSessions.discover(sources, sink)) {
    units.push(unit);
    const read: SessionTurn[] = [];
    for await (const turn of claudeSessions.read(unit, sink)) read.push(turn);
    turns.push(read);
  }
  return { units, turns, problems, all: turns.flat() };
}

const sessionIds: Record<string, string> = JSON.parse(
  await readFile(join(MADE, "sessions.json"), "utf8"),
) as Record<string, string>;

/** The run a turn is: the scripted prompt whose session and order it has. */
function runTurns(all: readonly SessionTurn[], session: string) {
  return all.filter((t) => t.sessionId === session);
}

/** Each model's token sums over calls. */
function byModel(calls: SessionTurn["calls"]) {
  const sums: Record<string, ReturnType<typeof requestUsage>> = {};
  for (const call of calls) {
    const s = (sums[call.model] ??= requestUsage(undefined));
    for (const key of Object.keys(s) as (keyof typeof s)[]) s[key] += call.usage[key];
  }
  return sums;
}

function scriptedByModel(run: (typeof RUNS)[number]) {
  return byModel(
    run.turns.map((t) => ({
      key: "",
      timestamp: "",
      model: modelOf(t),
      usage: requestUsage(t.usage),
      costUsd: null,
      cwd: null,
      gitBranch: null,
      subagent: false,
    })),
  );
}

const runNamed = (name: string) => {
  const run = RUNS.find((r) => r.name === name);
  if (run === undefined) throw new Error(name);
  return run;
};

/** The uuid of the user line whose text is `prompt` in a session's file (read here by hand). */
async function promptUuid(file: string, prompt: string): Promise<string | undefined> {
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l !== "");
  for (const line of lines) {
    const r = JSON.parse(line) as { type?: string; uuid?: string; message?: { content?: unknown } };
    if (r.type === "user" && r.message?.content === prompt) return r.uuid;
  }
  return undefined;
}

describe("the Claude Code session-log reader on sessions made by the real CLI", () => {
  it("is the import's reader for claude", () => {
    expect(SESSION_READERS.claude).toBe(claudeSessions);
  });

  it("finds one unit per session file, its sub-agent's file with it, in path order, with no problem", async () => {
    const { units, problems } = await readAll([MADE]);
    expect(problems).toEqual([]);
    expect(
      units.map((u) => u.files.map((f) => f.slice(MADE.length + "/projects/".length))),
    ).toEqual(
      [
        [`-home-dev-shop--worktrees-043-x-WP01/${sessionIds.worktree}.jsonl`],
        [`-home-dev-shop--worktrees-043-x-WP01/${sessionIds.forked}.jsonl`],
        [
          `-home-dev-shop--worktrees-043-x-WP02/${sessionIds.subagent}.jsonl`,
          expect.stringMatching(
            new RegExp(
              `^-home-dev-shop--worktrees-043-x-WP02/${sessionIds.subagent}/subagents/agent-[0-9a-f]+\\.jsonl$`,
            ),
          ),
        ],
        [`-home-dev-shop/${sessionIds.moves}.jsonl`],
        [`-home-dev-shop/${sessionIds["main-implement"]}.jsonl`],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
    expect(units.map((u) => u.id)).toEqual(units.map((u) => u.files[0]));
  });

  it.each([
    ["worktree", "worktree", 0],
    ["resumed", "worktree", 1],
    ["forked", "forked", 2],
    ["main-implement", "main-implement", 0],
    ["moves", "moves", 0],
    ["subagent", "subagent", 0],
  ])(
    "%s: one closed turn with exactly the scripted tokens per model",
    async (name, session, index) => {
      const { all } = await readAll([MADE]);
      const turn = runTurns(all, sessionIds[session] as string)[index];
      expect(turn?.closed).toBe(true);
      expect(byModel(turn?.calls ?? [])).toEqual(scriptedByModel(runNamed(name)));
      // Call by call, too (in the log's order: the parent's calls, then its sub-agent's).
      const sorted = (usages: readonly object[]) => usages.map((u) => JSON.stringify(u)).sort();
      expect(sorted(turn?.calls.map((c) => c.usage) ?? [])).toEqual(
        sorted(runNamed(name).turns.map((t) => requestUsage(t.usage))),
      );
    },
  );

  it("the turn id is the prompt line's uuid, the same in a forked session's copied history; the copy's calls keep their keys", async () => {
    const { all } = await readAll([MADE]);
    const original = runTurns(all, sessionIds.worktree as string);
    const fork = runTurns(all, sessionIds.forked as string);
    const file = join(
      MADE,
      "projects",
      "-home-dev-shop--worktrees-043-x-WP01",
      `${sessionIds.worktree}.jsonl`,
    );
    expect(original.map((t) => t.turnId)).toEqual([
      await promptUuid(file, "Implement WP01."),
      await promptUuid(file, "Add a test."),
    ]);
    expect(fork.slice(0, 2).map((t) => t.turnId)).toEqual(original.map((t) => t.turnId));
    expect(fork.slice(0, 2).map((t) => t.calls.map((c) => c.key))).toEqual(
      original.map((t) => t.calls.map((c) => c.key)),
    );
    expect(fork).toHaveLength(3);
    expect(new Set(all.map((t) => `${t.sessionId}/${t.turnId}`)).size).toBe(all.length);
  });

  it("keeps each call's cwd and branch: a session that cd's from the main checkout to WP01, then WP02 (its branch stays main)", async () => {
    const { all } = await readAll([MADE]);
    const [turn] = runTurns(all, sessionIds.moves as string);
    expect(turn?.calls.map((c) => [c.cwd, c.gitBranch])).toEqual([
      [SHOP, "main"],
      [WP01, "main"],
      [WP01, "main"],
      [WP02, "main"],
    ]);
    expect(turn?.signals).toEqual({
      commands: [],
      paths: [
        { feature: "043-x", wpId: "WP01" },
        { feature: "043-x", wpId: "WP02" },
      ],
    });
  });

  it("a worktree session's calls carry the worktree and its branch", async () => {
    const { all } = await readAll([MADE]);
    const calls = runTurns(all, sessionIds.worktree as string).flatMap((t) => t.calls);
    expect(calls.map((c) => [c.cwd, c.gitBranch, c.model, c.subagent])).toEqual(
      calls.map(() => [WP01, "043-x-WP01", SONNET_ID, false]),
    );
  });

  it("the main checkout's /spec-kitty.implement WP02 is a command signal (the slash command as typed, from Claude's tags)", async () => {
    const { all } = await readAll([MADE]);
    const [turn] = runTurns(all, sessionIds["main-implement"] as string);
    expect(turn?.signals).toEqual({
      commands: [{ step: "implement", wpId: "WP02", feature: null }],
      paths: [{ feature: "043-x", wpId: "WP02" }],
    });
    expect(turn?.calls.map((c) => [c.cwd, c.gitBranch])).toEqual([
      [SHOP, "main"],
      [SHOP, "main"],
    ]);
  });

  it("a Task sub-agent's calls (Haiku) are in the parent's turn, marked as a sub-agent's; its tool inputs give signals", async () => {
    const { all } = await readAll([MADE]);
    const turns = runTurns(all, sessionIds.subagent as string);
    expect(turns).toHaveLength(1);
    const calls = turns[0]?.calls ?? [];
    expect(calls.map((c) => [c.model, c.subagent, c.cwd])).toEqual([
      [SONNET_ID, false, WP02],
      [SONNET_ID, false, WP02],
      [HAIKU_ID, true, WP02],
      [HAIKU_ID, true, WP02],
    ]);
    expect(turns[0]?.signals.commands).toEqual([
      { step: "move-task", wpId: "WP02", feature: null },
    ]);
  });
});
