import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
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
    const s = sums[call.model] ?? requestUsage(undefined);
    sums[call.model] = s;
    for (const key of Object.keys(s) as (keyof typeof s)[]) s[key] += call.usage[key];
  }
  return sums;
}

function scriptedByModel(...runs: (typeof RUNS)[number][]) {
  return byModel(
    runs
      .flatMap((run) => run.turns)
      .map((t) => ({
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

const SAMPLE_SESSION = "29ccd257-68b1-427f-ae5f-6524b7cb6f20";

/** A projects folder with the public 2.1.17 sample laid out as Claude Code lays it out. */
async function sampleProjects(): Promise<string> {
  const projects = join(await tempDir(), "projects");
  const dir = join(projects, "-src-experiments-claude-p");
  await mkdir(join(dir, SAMPLE_SESSION, "subagents"), { recursive: true });
  await cp(
    join(SAMPLES, "v2.1.17_main-session_29ccd257_lines1-4.jsonl"),
    join(dir, `${SAMPLE_SESSION}.jsonl`),
  );
  await cp(
    join(SAMPLES, "v2.1.17_subagent_agent-a2271d1_lines1-4.jsonl"),
    join(dir, SAMPLE_SESSION, "subagents", "agent-a2271d1.jsonl"),
  );
  return projects;
}

/** A copy of a made session's file, changed by `edit` (its lines), as the only session of a folder. */
async function editedSession(
  session: string,
  edit: (lines: string[]) => string[],
  ending = "\n",
): Promise<{ dir: string; file: string }> {
  const dir = join(await tempDir(), "project");
  await mkdir(dir);
  const source = join(MADE, "projects", "-home-dev-shop--worktrees-043-x-WP01", `${session}.jsonl`);
  const lines = (await readFile(source, "utf8")).split("\n").filter((l) => l !== "");
  const file = join(dir, `${session}.jsonl`);
  await writeFile(file, edit(lines).join("\n") + ending);
  return { dir, file };
}

/** The worktree session's file: the worktree run and the resumed one appended to it. */
const SCRIPTED_WORKTREE_FILE = scriptedByModel(runNamed("worktree"), runNamed("resumed"));

describe("the Claude Code session-log reader on public samples", () => {
  it("2.1.17: a Task's sub-agent (no promptId then) joins the turn by time; its three content-block lines are one call; the turn is open", async () => {
    const { all, problems } = await readAll([await sampleProjects()]);
    expect(problems).toEqual([]);
    expect(all).toEqual([
      {
        turnId: "906641d6-3ff9-4a4d-9bef-07b258fc91c0",
        sessionId: SAMPLE_SESSION,
        startedAt: "2026-01-23T17:34:42.724Z",
        endedAt: "2026-01-23T17:34:49.771Z",
        closed: false,
        signals: { commands: [], paths: [] },
        calls: [
          {
            key: "msg_01Gh1K3VvEL4VYfME3vMebbR:req_011CXQiH9d5oswPYFQehMgFY",
            timestamp: "2026-01-23T17:34:46.892Z",
            model: "claude-opus-4-5-20251101",
            usage: {
              inputTokens: 2,
              outputTokens: 1,
              cacheReadTokens: 15958,
              cacheWriteTokens: 4093,
              cacheWrite1hTokens: 0,
              reasoningTokens: 0,
            },
            costUsd: null,
            cwd: "/src/experiments/claude_p",
            gitBranch: null,
            subagent: false,
          },
          {
            key: "msg_01Ke9FMkCuiKNcckLtd5oEnE:req_011CXQiHTGUmfZc4x3V3ZwYS",
            timestamp: "2026-01-23T17:34:49.033Z",
            model: "claude-haiku-4-5-20251001",
            usage: {
              inputTokens: 2,
              outputTokens: 1,
              cacheReadTokens: 0,
              cacheWriteTokens: 11658,
              cacheWrite1hTokens: 0,
              reasoningTokens: 0,
            },
            costUsd: null,
            cwd: "/src/experiments/claude_p",
            gitBranch: null,
            subagent: true,
          },
        ],
      },
    ]);
  });

  it("1.0.9: an assistant line before any prompt makes a turn of its own (its uuid), no cache split, no branch", async () => {
    const dir = join(await tempDir(), "p");
    await mkdir(dir);
    const record: unknown = JSON.parse(
      await readFile(
        join(SAMPLES, "v1.0.9_assistant-line_from-ccusage-issue-4.pretty.json"),
        "utf8",
      ),
    );
    await writeFile(
      join(dir, "0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b.jsonl"),
      `${JSON.stringify(record)}\n`,
    );
    const { all, problems } = await readAll([dir]);
    expect(problems).toEqual([]);
    expect(all).toMatchObject([
      {
        turnId: "03a7a350-a7db-4fcb-8844-aded9b69e7a8",
        sessionId: "0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b",
        closed: false,
        calls: [
          {
            key: "msg_018vkDifij3YKNQ5gzjtvbXz:req_011CPkCWc21qrE6dGwSHMcw1",
            model: "claude-opus-4-20250514",
            usage: {
              inputTokens: 3,
              outputTokens: 97,
              cacheReadTokens: 89356,
              cacheWriteTokens: 161,
              cacheWrite1hTokens: 0,
            },
            cwd: "/Users/nnamon/projects/mcp/playwright-mcp",
            gitBranch: null,
          },
        ],
      },
    ]);
  });

  it("ccusage's hand-written fixture (no record type) is reported as unknown records, not read", async () => {
    const dir = join(await tempDir(), "p");
    await mkdir(dir);
    await cp(
      join(SAMPLES, "SYNTHETIC_ccusage-v19.0.3-fixture_project-alpha_chat.jsonl"),
      join(dir, "chat.jsonl"),
    );
    const { all, problems } = await readAll([dir]);
    expect(all).toEqual([]);
    expect(problems).toEqual([
      {
        kind: "unknown-record",
        where: `${join(dir, "chat.jsonl")}:1`,
        detail: '3 line(s) of unknown record type "(none)" skipped',
      },
    ]);
  });
});

describe("the Claude Code session-log reader on bad input: reported, the rest read", () => {
  const worktree = sessionIds.worktree as string;

  it.each([
    [
      "a cut last line",
      (l: string[]) => [...l, l[l.length - 3]?.slice(0, 80) ?? ""],
      "",
      "truncated-line",
    ],
    [
      "a line that is not JSON",
      (l: string[]) => [l[0] ?? "", "{not json", ...l.slice(1)],
      "\n",
      "bad-line",
    ],
    [
      "an assistant line without usage",
      (l: string[]) => [
        '{"type":"assistant","timestamp":"2026-01-01T00:00:00Z","message":{"id":"m","model":"x"}}',
        ...l,
      ],
      "\n",
      "bad-line",
    ],
    [
      "an unknown record type",
      (l: string[]) => [...l.slice(0, 3), '{"type":"hologram","sessionId":"s"}', ...l.slice(3)],
      "\n",
      "unknown-record",
    ],
    [
      "a newer version",
      (l: string[]) => l.map((x) => x.replaceAll('"version":"2.1.197"', '"version":"2.2.0"')),
      "\n",
      "newer-format",
    ],
  ] as const)("%s", async (_what, edit, ending, kind) => {
    const { dir } = await editedSession(worktree, edit, ending);
    const { all, problems } = await readAll([dir]);
    expect(problems.map((p) => p.kind)).toEqual([kind]);
    expect(byModel(all.flatMap((t) => t.calls))).toEqual(SCRIPTED_WORKTREE_FILE);
    expect(all).toHaveLength(2);
  });

  it("an unreadable file (a folder where the log should be) is reported; nothing thrown", async () => {
    const dir = await tempDir();
    const unit = {
      id: join(dir, "x.jsonl"),
      files: [join(dir, "x.jsonl")],
      stamp: "",
      lastWriteMs: 0,
    };
    await mkdir(unit.id);
    const problems: string[] = [];
    const turns: SessionTurn[] = [];
    for await (const t of claudeSessions.read(unit, { report: (kind) => problems.push(kind) }))
      turns.push(t);
    expect([turns, problems]).toEqual([[], ["unreadable"]]);
  });
});

describe("the Claude Code session-log reader: lines", () => {
  const worktree = sessionIds.worktree as string;

  it("a call's early content-block line with a streaming snapshot (output 1) and a synthetic reply count once, at the final usage", async () => {
    const { dir } = await editedSession(worktree, (lines) =>
      lines.flatMap((l) => {
        if (!l.includes('"type":"assistant"')) return [l];
        const snapshot = l.replace(/"output_tokens":\d+/, '"output_tokens":1');
        const synthetic = l
          .replace(/"model":"[^"]+"/, '"model":"<synthetic>"')
          .replace(/"id":"msg_[^"]+"/, '"id":"msg_synthetic"');
        return [snapshot, l, snapshot, synthetic];
      }),
    );
    const { all, problems } = await readAll([dir]);
    expect(problems).toEqual([]);
    expect(byModel(all.flatMap((t) => t.calls))).toEqual(SCRIPTED_WORKTREE_FILE);
  });

  it("a line longer than a read chunk (a 3 MB tool result) is passed over whole, the lines around it read", async () => {
    const { dir } = await editedSession(worktree, (lines) => {
      const big = JSON.stringify({
        type: "user",
        uuid: "u-big",
        timestamp: "2026-11-30T00:00:00.000Z",
        message: {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "t", content: "x".repeat(3_000_000) }],
        },
      });
      return [...lines.slice(0, 5), big, ...lines.slice(5)];
    });
    const { all, problems } = await readAll([dir]);
    expect(problems).toEqual([]);
    expect(all).toHaveLength(2);
    expect(byModel(all.flatMap((t) => t.calls))).toEqual(SCRIPTED_WORKTREE_FILE);
  });

  it("a call without a request id is keyed by its message id alone", async () => {
    const { dir } = await editedSession(worktree, (lines) =>
      lines.map((l) => l.replace(/"requestId":"req_[0-9]+",/, "")),
    );
    const { all } = await readAll([dir]);
    expect(all.flatMap((t) => t.calls.map((c) => c.key))).toEqual([
      "msg_0002:",
      "msg_0004:",
      "msg_0006:",
    ]);
  });

  it("a turn whose session has not written its end yet is open; the turns before it are closed", async () => {
    const { dir } = await editedSession(worktree, (lines) =>
      lines.filter((l) => !l.includes('"type":"last-prompt"')),
    );
    const { all } = await readAll([dir]);
    expect(all.map((t) => t.closed)).toEqual([true, false]);
  });
});

describe("the Claude Code session-log reader: where it looks", () => {
  it.each([
    ["CLAUDE_CONFIG_DIR", { HOME: "/h", CLAUDE_CONFIG_DIR: "/c" }, ["/c/projects"]],
    [
      "a comma-separated CLAUDE_CONFIG_DIR",
      { HOME: "/h", CLAUDE_CONFIG_DIR: "/c1, /c2" },
      ["/c1/projects", "/c2/projects"],
    ],
    ["HOME", { HOME: "/h" }, ["/h/.claude/projects", "/h/.config/claude/projects"]],
    [
      "XDG_CONFIG_HOME",
      { HOME: "/h", XDG_CONFIG_HOME: "/x" },
      ["/h/.claude/projects", "/x/claude/projects"],
    ],
  ])("default sources from %s", (_what, env, expected) => {
    expect(claudeSessions.defaultSources(env)).toEqual(expected);
  });

  it.each([
    ["the configuration folder", ""],
    ["its projects folder", "projects"],
    ["one project's folder", "projects/-home-dev-shop"],
    ["one session's file", "projects/-home-dev-shop/<moves>.jsonl"],
  ])("a source can be %s", async (_what, sub) => {
    const config = join(await tempDir(), "claude");
    await cp(join(MADE, "projects"), join(config, "projects"), { recursive: true });
    const source = join(config, sub.replace("<moves>", sessionIds.moves as string));
    const { units } = await readAll([source, source]);
    const expected = sub.endsWith(".jsonl") ? 1 : sub.includes("-home-dev-shop") ? 2 : 5;
    expect(units).toHaveLength(expected);
  });

  it("missing sources are no problem; the stamp changes when a session's file grows", async () => {
    const config = join(await tempDir(), "claude");
    await cp(join(MADE, "projects"), join(config, "projects"), { recursive: true });
    const before = await readAll([config, join(config, "nothing-here")]);
    expect(before.problems).toEqual([]);
    const file = before.units[0]?.files[0] as string;
    await writeFile(file, `${await readFile(file, "utf8")}{"type":"mode","mode":"normal"}\n`);
    const after = await readAll([config]);
    expect(after.units.map((u) => u.stamp === before.units[after.units.indexOf(u)]?.stamp)).toEqual(
      [false, true, true, true, true],
    );
    expect(after.units[0]?.lastWriteMs).toBeGreaterThanOrEqual(before.units[0]?.lastWriteMs ?? 0);
  });

  it("a sub-agent left without its session's log (deleted by retention) is a closed turn of its own", async () => {
    const projects = await sampleProjects();
    const dir = join(projects, "-src-experiments-claude-p");
    await rm(join(dir, `${SAMPLE_SESSION}.jsonl`));
    const { units, all } = await readAll([projects]);
    expect(units.map((u) => u.id)).toEqual([join(dir, SAMPLE_SESSION)]);
    expect(all).toMatchObject([
      {
        turnId: "d0c43a73-0316-464a-82cd-a4aa7219dadb",
        sessionId: SAMPLE_SESSION,
        closed: true,
        calls: [{ model: "claude-haiku-4-5-20251001", subagent: true }],
      },
    ]);
  });

  it("a sub-agent's log beside the sessions (before 2.1.2) joins the session it names", async () => {
    const projects = await sampleProjects();
    const dir = join(projects, "-src-experiments-claude-p");
    await rename(
      join(dir, SAMPLE_SESSION, "subagents", "agent-a2271d1.jsonl"),
      join(dir, "agent-a2271d1.jsonl"),
    );
    await rm(join(dir, SAMPLE_SESSION), { recursive: true });
    const { units, all } = await readAll([projects]);
    expect(units.map((u) => u.files.length)).toEqual([2]);
    expect(all.flatMap((t) => t.calls.map((c) => c.subagent))).toEqual([false, true]);
  });
});

describe("the Claude Code session-log reader: retention", () => {
  it.each([
    ["no settings", [], 30],
    ["cleanupPeriodDays 90", [{ cleanupPeriodDays: 90 }], 90],
    ["the shortest of two folders", [{ cleanupPeriodDays: 90 }, { cleanupPeriodDays: 7 }], 7],
    ["a setting that is not a whole number", [{ cleanupPeriodDays: "x" }], 30],
  ])("%s", async (_what, settings, days) => {
    const base = await tempDir();
    const dirs = await Promise.all(
      settings.map(async (s, i) => {
        const dir = join(base, `c${i}`);
        await mkdir(dir);
        await writeFile(join(dir, "settings.json"), JSON.stringify(s));
        return dir;
      }),
    );
    const env =
      dirs.length > 0 ? { HOME: base, CLAUDE_CONFIG_DIR: dirs.join(",") } : { HOME: base };
    expect(await claudeSessions.retentionDays?.(env)).toBe(days);
  });
});

describe("the Claude Code session-log reader: sub-agents without a promptId", () => {
  it("join the turn whose Task result names their agentId, even when their clock says otherwise", async () => {
    const dir = join(await tempDir(), "-home-dev-shop--worktrees-043-x-WP02");
    const source = join(MADE, "projects", "-home-dev-shop--worktrees-043-x-WP02");
    await cp(source, dir, { recursive: true });
    const session = sessionIds.subagent as string;
    const [agentFile] = (await readdir(join(dir, session, "subagents"))).filter((f) =>
      f.endsWith(".jsonl"),
    );
    const path = join(dir, session, "subagents", agentFile as string);
    // As before promptId was written, and stamped a year early: only the agentId links it.
    const text = (await readFile(path, "utf8"))
      .replace(/"promptId":"[^"]+",/g, "")
      .replace(/"timestamp":"2026-/g, '"timestamp":"2025-');
    await writeFile(path, text);
    const { all } = await readAll([dir]);
    expect(all).toHaveLength(1);
    expect(all[0]?.calls.map((c) => [c.model, c.subagent])).toEqual([
      [SONNET_ID, false],
      [SONNET_ID, false],
      [HAIKU_ID, true],
      [HAIKU_ID, true],
    ]);
  });
});
