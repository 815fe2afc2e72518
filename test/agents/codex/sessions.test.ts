import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseUsage } from "../../../src/agents/codex/rollout-records.js";
import { codexSessionReader } from "../../../src/agents/codex/sessions.js";
import type {
  SessionCall,
  SessionProblemKind,
  SessionTurn,
  SessionUnit,
} from "../../../src/agents/session-logs.js";
import { SESSION_READERS } from "../../../src/agents/session-readers.js";
import { CHILD_MODEL, MAIN_MODEL, SCENARIOS, scriptedUsage } from "../../support/codex-sessions.js";
import { tempDir } from "../../support/temp-project.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "session-logs", "codex");
const PUBLIC = join(FIXTURES, "public");
const OLD_ROLLOUT = join(
  import.meta.dirname,
  "..",
  "..",
  "fixtures",
  "agent-outputs",
  "codex",
  "session-rollout-excerpt.v0.40.0.jsonl",
);

interface Read {
  readonly units: SessionUnit[];
  readonly turns: SessionTurn[];
  readonly problems: { kind: SessionProblemKind; where: string; detail: string }[];
}

/** Every unit under `sources` and every turn of each, as the import would read them. */
async function readAll(sources: readonly string[]): Promise<Read> {
  const problems: Read["problems"] = [];
  const sink = {
    report: (kind: SessionProblemKind, where: string, detail: string) =>
      void problems.push({ kind, where, detail }),
  };
  const units: SessionUnit[] = [];
  const turns: SessionTurn[] = [];
  for await (const unit of codexSessionReader.discover(sources, sink)) {
    units.push(unit);
    for await (const turn of codexSessionReader.read(unit, sink)) turns.push(turn);
  }
  return { units, turns, problems };
}

/** One rollout's text in a temp folder; returns its path. */
async function rolloutFile(text: string, name = "rollout-2026-11-30T00-00-00-x.jsonl") {
  const dir = await tempDir();
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Calls once per key (the import's rule), summed per model in DESIGN §4's classes. */
function perModel(turns: readonly SessionTurn[]) {
  const byKey = new Map<string, SessionCall>();
  for (const c of turns.flatMap((t) => t.calls)) if (!byKey.has(c.key)) byKey.set(c.key, c);
  const sums: Record<
    string,
    Record<"input" | "cacheRead" | "cacheWrite" | "output" | "reasoning", number>
  > = {};
  for (const c of byKey.values()) {
    const s = sums[c.model] ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
    sums[c.model] = s;
    s.input += c.usage.inputTokens;
    s.cacheRead += c.usage.cacheReadTokens;
    s.cacheWrite += c.usage.cacheWriteTokens;
    s.output += c.usage.outputTokens;
    s.reasoning += c.usage.reasoningTokens;
  }
  return sums;
}

function expected(name: string) {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new Error(name);
  return Object.fromEntries(
    Object.entries(scriptedUsage(scenario)).map(([model, u]) => [
      model,
      {
        input: u.input,
        cacheRead: u.cacheRead,
        cacheWrite: u.cacheWrite5m + u.cacheWrite1h,
        output: u.output,
        reasoning: u.reasoning,
      },
    ]),
  );
}

const scenario = (name: string) => join(FIXTURES, name, "sessions");

describe("Codex session reader: rollouts the real Codex 0.171 wrote against the model server", () => {
  it("is the registered reader of Codex", () => {
    expect(SESSION_READERS.codex).toBe(codexSessionReader);
  });

  it.each(SCENARIOS.map((s) => [s.name]))(
    "%s: the tokens per model are exactly the server's scripted usage, each call once",
    async (name) => {
      const { turns, problems } = await readAll([scenario(name)]);
      expect(problems).toEqual([]);
      expect(perModel(turns)).toEqual(expected(name));
      // No call is repeated within the reader's own output either.
      const keys = turns.flatMap((t) => t.calls.map((c) => c.key));
      expect(new Set(keys).size).toBe(keys.length);
    },
  );

  it("worktree: one closed turn of three responses, in the WP worktree on its branch, with the implement command", async () => {
    const { turns, units } = await readAll([scenario("worktree")]);
    const thread = /-([0-9a-f-]{36})\.jsonl$/.exec(units[0]?.id ?? "")?.[1];
    expect(turns).toHaveLength(1);
    const [turn] = turns;
    expect(turn).toMatchObject({ sessionId: thread, closed: true });
    expect(turn?.turnId.startsWith(`${thread}:`)).toBe(true);
    expect(turn?.calls.map((c) => [c.model, c.cwd, c.gitBranch, c.subagent])).toEqual(
      Array(3).fill([
        MAIN_MODEL,
        "/home/dev/repo/.worktrees/042-demo-WP01",
        "042-demo-WP01",
        false,
      ]),
    );
    expect(turn?.signals).toEqual({
      commands: [{ step: "implement", wpId: "WP01", feature: null }],
      paths: [{ feature: "042-demo", wpId: "WP01" }],
    });
    expect(turn && turn.startedAt <= (turn.calls[0]?.timestamp ?? "")).toBe(true);
    expect(turn && turn.endedAt >= (turn.calls[2]?.timestamp ?? "")).toBe(true);
  });

  it("resumed: the resume appends a second turn to the same rollout, with its own model", async () => {
    const { turns, units } = await readAll([scenario("resumed")]);
    expect(units).toHaveLength(1);
    expect(turns.map((t) => [t.closed, t.calls.map((c) => c.model)])).toEqual([
      [true, [MAIN_MODEL]],
      [true, [CHILD_MODEL]],
    ]);
    expect(new Set(turns.map((t) => t.sessionId)).size).toBe(1);
    expect(turns[0]?.turnId).not.toBe(turns[1]?.turnId);
    expect(turns.flatMap((t) => t.calls.map((c) => [c.cwd, c.gitBranch]))).toEqual([
      ["/home/dev/repo", "main"],
      ["/home/dev/repo", "main"],
    ]);
    expect(turns.map((t) => t.signals.commands)).toEqual([
      [{ step: "review", wpId: "WP02", feature: "042-demo" }],
      [],
    ]);
  });

  it("subagent: the child's rollout replays the parent's start but adds only its own call, to the parent's turn", async () => {
    const { turns, units } = await readAll([scenario("subagent")]);
    expect(units).toHaveLength(2);
    const [parent, child] = turns;
    expect(turns).toHaveLength(2);
    // The child's turn is the parent's: one user prompt and everything it caused.
    expect(child?.turnId).toBe(parent?.turnId);
    expect(child?.sessionId).toBe(parent?.sessionId);
    expect(parent?.calls.map((c) => [c.model, c.subagent])).toEqual(
      Array(4).fill([MAIN_MODEL, false]),
    );
    expect(child?.calls.map((c) => [c.model, c.subagent])).toEqual([[CHILD_MODEL, true]]);
    expect(parent?.signals.commands).toEqual([{ step: "review", wpId: "WP03", feature: null }]);
    // The replayed parent prompt is not the child's; the child's own prompt names WP03's file.
    expect(child?.signals).toEqual({
      commands: [],
      paths: [{ feature: "042-demo", wpId: "WP03" }],
    });
  });

  it("a rollout in both sessions/ and archived_sessions/ gives the same keys and turns, so it counts once", async () => {
    const home = await tempDir();
    const codexHome = join(home, "codex-home");
    const sessions = join(codexHome, "sessions");
    await cp(scenario("worktree"), sessions, { recursive: true });
    const [file] = (await readdir(sessions, { recursive: true })).filter((f) =>
      f.endsWith(".jsonl"),
    );
    const archived = join(codexHome, "archived_sessions");
    await mkdir(archived, { recursive: true });
    await cp(join(sessions, file ?? ""), join(archived, (file ?? "").split("/").at(-1) ?? ""));
    const sources = codexSessionReader.defaultSources({ CODEX_HOME: codexHome, HOME: home });
    const { units, turns } = await readAll(sources);
    expect(units).toHaveLength(2);
    expect(turns).toHaveLength(2);
    const [a, b] = turns;
    expect(b?.turnId).toBe(a?.turnId);
    expect(b?.calls.map((c) => c.key)).toEqual(a?.calls.map((c) => c.key));
    expect(perModel(turns)).toEqual(expected("worktree"));
  });
});

/** The worktree fixture's lines. */
async function worktreeLines(): Promise<string[]> {
  const dir = scenario("worktree");
  const [file] = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".jsonl"));
  return (await readFile(join(dir, file ?? ""), "utf8")).trimEnd().split("\n");
}

/** The sub-agent fixture's parent and child rollouts, as lines (the child's name sorts last). */
async function subagentLines(): Promise<{ parent: string[]; child: string[] }> {
  const dir = scenario("subagent");
  const files = (await readdir(dir, { recursive: true }))
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
  const lines = async (f: string | undefined) =>
    (await readFile(join(dir, f ?? ""), "utf8")).trimEnd().split("\n");
  return { parent: await lines(files[0]), child: await lines(files[1]) };
}

const isUsageRecord = (l: string) => l.includes('"type":"token_usage_record"');
const isTokenCount = (l: string) => l.includes('"payload":{"type":"token_count"');

describe("Codex session reader: token_count events (versions without per-response records)", () => {
  it.each([
    ["token_count only (before 0.16x)", (ls: string[]) => ls.filter((l) => !isUsageRecord(l))],
    [
      "token_count only, each re-emitted unchanged twice (rate-limit refreshes)",
      (ls: string[]) =>
        ls.filter((l) => !isUsageRecord(l)).flatMap((l) => (isTokenCount(l) ? [l, l, l] : [l])),
    ],
    [
      "per-response records and re-emitted token_count events together",
      (ls: string[]) => ls.flatMap((l) => (isTokenCount(l) ? [l, l] : [l])),
    ],
  ])("%s: the scripted usage exactly", async (_what, edit) => {
    const path = await rolloutFile(`${edit(await worktreeLines()).join("\n")}\n`);
    const { turns, problems } = await readAll([path]);
    expect(problems).toEqual([]);
    expect(perModel(turns)).toEqual(expected("worktree"));
    expect(turns.flatMap((t) => t.calls)).toHaveLength(3);
  });

  it("a continuation holding the thread's later token_count events adds the same calls, same usage", async () => {
    const original = (await worktreeLines()).filter((l) => !isUsageRecord(l));
    const firstCount = original.findIndex(isTokenCount);
    const continuation = original.filter((_l, i) => i !== firstCount);
    const { turns } = await readAll([
      await rolloutFile(`${original.join("\n")}\n`),
      await rolloutFile(`${continuation.join("\n")}\n`),
    ]);
    const calls = turns.flatMap((t) => t.calls);
    expect(calls).toHaveLength(5);
    const usages = new Map<string, Set<string>>();
    for (const c of calls) {
      usages.set(c.key, (usages.get(c.key) ?? new Set()).add(JSON.stringify(c.usage)));
    }
    expect([...usages.values()].map((u) => u.size)).toEqual([1, 1, 1]);
    expect(perModel(turns)).toEqual(expected("worktree"));
  });

  it("a sub-agent rollout that replays the parent's token_count counts only its own (totals that restart)", async () => {
    const { parent, child } = await subagentLines();
    // The parent's last token_count copied into the child's replay (as 0.14x wrote it), and no
    // per-response records anywhere: the child's own totals start again from zero.
    const parentTotal = parent.filter(isTokenCount).at(-1) ?? "";
    const withoutRecords = child.filter((l) => !isUsageRecord(l));
    withoutRecords.splice(3, 0, parentTotal);
    const path = await rolloutFile(`${withoutRecords.join("\n")}\n`);
    const { turns } = await readAll([path]);
    expect(perModel(turns)).toEqual({ [CHILD_MODEL]: expected("subagent")[CHILD_MODEL] });
  });

  it("a parent's per-response record replayed into a child's rollout is the parent's, not counted again", async () => {
    const { parent, child } = await subagentLines();
    const withParentRecord = [...child];
    withParentRecord.splice(3, 0, parent.find(isUsageRecord) ?? "");
    const { turns } = await readAll([await rolloutFile(`${withParentRecord.join("\n")}\n`)]);
    expect(perModel(turns)).toEqual({ [CHILD_MODEL]: expected("subagent")[CHILD_MODEL] });
  });

  it("without its end events, a turn is closed by the next one and the last stays open", async () => {
    const dir = scenario("resumed");
    const [file] = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".jsonl"));
    const lines = (await readFile(join(dir, file ?? ""), "utf8")).trimEnd().split("\n");
    const open = lines.filter((l) => !l.includes('"payload":{"type":"task_complete"'));
    const { turns } = await readAll([await rolloutFile(`${open.join("\n")}\n`)]);
    expect(turns.map((t) => t.closed)).toEqual([true, false]);
  });

  it.each([
    [
      "totals that go down (a compaction) count that response's last usage, and later ones again",
      [
        [100, 10, 100, 10],
        [40, 4, 40, 4],
        [100, 10, 60, 6],
      ],
      { input: 200, output: 20 },
    ],
    [
      "no totals: each last usage once, a re-emitted one skipped",
      [
        [null, null, 30, 3],
        [null, null, 30, 3],
        [null, null, 20, 2],
      ],
      { input: 50, output: 5 },
    ],
  ])("%s", async (_what, counts, sums) => {
    const usage = (input: number | null, output: number | null) =>
      input === null ? null : { input_tokens: input, output_tokens: output };
    const lines = [
      JSON.stringify({
        timestamp: "2026-01-01T00:00:00.000Z",
        type: "session_meta",
        payload: { id: "t" },
      }),
      JSON.stringify({
        timestamp: "2026-01-01T00:00:00.000Z",
        type: "turn_context",
        payload: { model: "gpt-5" },
      }),
      ...counts.map(([ti, to, li, lo], i) =>
        JSON.stringify({
          timestamp: `2026-01-01T00:00:0${i + 1}.000Z`,
          type: "event_msg",
          payload: {
            type: "token_count",
            info: {
              total_token_usage: usage(ti ?? null, to ?? null),
              last_token_usage: usage(li ?? null, lo ?? null),
            },
          },
        }),
      ),
    ];
    const { turns } = await readAll([await rolloutFile(`${lines.join("\n")}\n`)]);
    expect(perModel(turns)).toEqual({
      "gpt-5": { ...sums, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    });
  });

  it("a replay whose totals continue the parent's: the child's delta only", async () => {
    const meta = (id: string, extra: object) =>
      JSON.stringify({
        timestamp: "2026-07-14T10:00:00.000Z",
        type: "session_meta",
        payload: { id, ...extra },
      });
    const count = (ts: string, input: number, output: number) =>
      JSON.stringify({
        timestamp: ts,
        type: "event_msg",
        payload: {
          type: "token_count",
          info: {
            total_token_usage: {
              input_tokens: input,
              cached_input_tokens: 0,
              output_tokens: output,
            },
          },
        },
      });
    const lines = [
      meta("child", { session_id: "root", forked_from_id: "root", thread_source: "subagent" }),
      meta("root", {}),
      JSON.stringify({
        timestamp: "2026-07-14T10:00:00.000Z",
        type: "turn_context",
        payload: { model: "gpt-5" },
      }),
      count("2026-07-14T10:00:01.000Z", 5000, 100),
      JSON.stringify({
        timestamp: "2026-07-14T10:00:02.000Z",
        type: "event_msg",
        payload: { type: "thread_settings_applied", thread_id: "child" },
      }),
      JSON.stringify({
        timestamp: "2026-07-14T10:00:02.000Z",
        type: "turn_context",
        payload: { model: "gpt-5-mini" },
      }),
      count("2026-07-14T10:00:03.000Z", 5300, 130),
    ];
    const { turns } = await readAll([await rolloutFile(`${lines.join("\n")}\n`)]);
    expect(perModel(turns)).toEqual({
      "gpt-5-mini": { input: 300, cacheRead: 0, cacheWrite: 0, output: 30, reasoning: 0 },
    });
    expect(turns.map((t) => [t.sessionId, t.calls[0]?.subagent])).toEqual([["root", true]]);
  });
});

describe("Codex session reader: public samples", () => {
  it.each([
    [
      "0.148 token_count (ccusage#1617), a line from the middle of a rollout: its last response only",
      "codex-sdk0.148.0_token_count_from-ccusage-issue-1617.jsonl",
      { "(none)": { input: 880, cacheRead: 57817, cacheWrite: 0, output: 227, reasoning: 9 } },
    ],
    [
      "2025-10 token_count (openai/codex#5276): reasoning is part of output, last response only",
      "2025-10_token_count_from-openai-codex-issue-5276.pretty.json",
      { "(none)": { input: 869, cacheRead: 5376, cacheWrite: 0, output: 407, reasoning: 320 } },
    ],
    [
      "ccusage's synthetic fixture: the model of turn_context, then the one token_count names",
      "SYNTHETIC_ccusage-v19.0.3-fixture_session-alpha.jsonl",
      {
        "gpt-5.2-codex": { input: 750, cacheRead: 250, cacheWrite: 0, output: 125, reasoning: 75 },
        "gpt-5.3-codex": {
          input: 2000,
          cacheRead: 500,
          cacheWrite: 0,
          output: 300,
          reasoning: 200,
        },
      },
    ],
  ])("%s", async (_what, file, sums) => {
    const text = await readFile(join(PUBLIC, file), "utf8");
    // The pretty-printed samples are one record each: a rollout has it on one line.
    const line = file.endsWith(".json") ? JSON.stringify(JSON.parse(text)) : text.trimEnd();
    const { turns, problems } = await readAll([await rolloutFile(`${line}\n`)]);
    expect(problems).toEqual([]);
    expect(perModel(turns)).toEqual(
      Object.fromEntries(Object.entries(sums).map(([m, s]) => [m === "(none)" ? "unknown" : m, s])),
    );
  });

  it.each([
    [
      "0.148 (ccusage#1617): input less cached and written",
      "codex-sdk0.148.0_token_count_from-ccusage-issue-1617.jsonl",
      {
        inputTokens: 2124,
        cacheReadTokens: 875306,
        cacheWriteTokens: 57610,
        cacheWrite1hTokens: 0,
        outputTokens: 11150,
        reasoningTokens: 1141,
      },
    ],
    [
      "2025-10 (openai/codex#5276): no cache-write field",
      "2025-10_token_count_from-openai-codex-issue-5276.pretty.json",
      {
        inputTokens: 4277,
        cacheReadTokens: 22272,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: 1590,
        reasoningTokens: 1152,
      },
    ],
  ])("the totals of %s normalise as DESIGN §4", async (_what, file, usage) => {
    const record = JSON.parse(await readFile(join(PUBLIC, file), "utf8"));
    expect(normaliseUsage(record.payload.info.total_token_usage)).toEqual(usage);
  });

  it("a 0.144 sub-agent's session_meta (Irrlicht#1050): its calls are the root session's, marked sub-agent", async () => {
    const meta = JSON.parse(
      await readFile(
        join(
          PUBLIC,
          "cli0.144.4_subagent_session_meta_ABRIDGED_from-irrlicht-issue-1050.pretty.json",
        ),
        "utf8",
      ),
    );
    const count = (
      await readFile(
        join(PUBLIC, "codex-sdk0.148.0_token_count_from-ccusage-issue-1617.jsonl"),
        "utf8",
      )
    ).trimEnd();
    const { turns } = await readAll([await rolloutFile(`${JSON.stringify(meta)}\n${count}\n`)]);
    expect(turns.map((t) => [t.sessionId, t.calls.map((c) => c.subagent)])).toEqual([
      ["019f6249-055d-76d3-b381-cd9d3eb99189", [true]],
    ]);
  });

  it("a real 0.40 rollout excerpt: three token_count deltas, the model and branch of its meta", async () => {
    const { turns, problems } = await readAll([OLD_ROLLOUT]);
    expect(problems).toEqual([]);
    expect(perModel(turns)).toEqual({
      "gpt-5-codex": { input: 1215, cacheRead: 9344, cacheWrite: 0, output: 724, reasoning: 512 },
    });
    expect(turns).toHaveLength(1);
    expect(turns[0]?.calls).toHaveLength(3);
    expect(turns[0]?.calls[0]?.gitBranch).toMatch(/^fix\//);
    expect(turns[0]?.sessionId).toBe("01997e76-d124-7592-9cac-2ec05abbca08");
  });
});

describe("Codex session reader: discovery", () => {
  it("finds rollout-*.jsonl under day folders (or given as a file), sorted, once each; the stamp moves when one grows", async () => {
    const root = await tempDir();
    const day = join(root, "sessions", "2026", "11", "30");
    await mkdir(day, { recursive: true });
    const [a, b] = [join(day, "rollout-b.jsonl"), join(day, "rollout-a.jsonl")];
    await writeFile(a, "{}\n");
    await writeFile(b, "{}\n");
    await writeFile(join(day, "notes.jsonl"), "{}\n");
    await writeFile(join(root, "sessions", "rollout-c.json"), "{}\n");
    const ids = async () => (await readAll([join(root, "sessions"), a])).units;
    const before = await ids();
    expect(before.map((u) => [u.id, u.files])).toEqual([
      [b, [b]],
      [a, [a]],
    ]);
    await writeFile(a, "{}\n{}\n");
    const after = await ids();
    expect(after[1]?.stamp).not.toBe(before[1]?.stamp);
    expect(after[0]?.stamp).toBe(before[0]?.stamp);
    expect(after[1]?.lastWriteMs).toBeGreaterThan(0);
  });
});

describe("Codex session reader: a rollout without its session_meta", () => {
  it("takes the thread from its file name: a copy elsewhere has the same keys, another thread other keys", async () => {
    const lines = (await worktreeLines()).slice(1).filter((l) => !isUsageRecord(l));
    const text = `${lines.join("\n")}\n`;
    const a = "rollout-2026-11-30T12-52-09-01a22c83-4296-7552-afce-d289a24d7ff7.jsonl";
    const b = "rollout-2026-11-30T12-52-09-01a22c83-4296-7552-afce-000000000000.jsonl";
    const keys = async (name: string) => {
      const { turns } = await readAll([await rolloutFile(text, name)]);
      return turns.flatMap((t) => [t.sessionId, ...t.calls.map((c) => c.key)]);
    };
    const [first, copy, other] = [await keys(a), await keys(a), await keys(b)];
    expect(copy).toEqual(first);
    expect(first[0]).toBe("01a22c83-4296-7552-afce-d289a24d7ff7");
    expect(other.filter((k) => first.includes(k))).toEqual([]);
  });
});

describe("Codex session reader: bad input is reported, the rest read", () => {
  it.each([
    [
      "a truncated last line",
      (ls: string[]) => [...ls.slice(0, -1), (ls.at(-1) ?? "").slice(0, 40)],
      false,
      "truncated-line",
    ],
    [
      "a line that is not JSON",
      (ls: string[]) => [ls[0] ?? "", "{not json", ...ls.slice(1)],
      true,
      "bad-line",
    ],
    [
      "an unknown record type",
      (ls: string[]) => [
        ls[0] ?? "",
        '{"timestamp":"2026-11-30T12:52:09.800Z","type":"hologram","payload":{}}',
        ...ls.slice(1),
      ],
      true,
      "unknown-record",
    ],
    [
      "a newer format version",
      (ls: string[]) => [
        (ls[0] ?? "").replace('"cli_version":"0.171.0"', '"cli_version":"0.199.0"'),
        ...ls.slice(1),
      ],
      true,
      "newer-format",
    ],
  ])("%s", async (_what, edit, endsWithNewline, kind) => {
    const lines = edit(await worktreeLines());
    const path = await rolloutFile(lines.join("\n") + (endsWithNewline ? "\n" : ""));
    const { turns, problems } = await readAll([path]);
    expect(problems.map((p) => p.kind)).toEqual([kind]);
    expect(problems[0]?.where.startsWith(path)).toBe(true);
    // Everything else is read: the truncated line was the turn's end, so the turn stays open.
    expect(perModel(turns)).toEqual(expected("worktree"));
    expect(turns[0]?.closed).toBe(kind !== "truncated-line");
  });

  it("an unreadable file and an unlistable source are reported, never thrown", async () => {
    const dir = await tempDir();
    const problems: SessionProblemKind[] = [];
    const sink = { report: (kind: SessionProblemKind) => void problems.push(kind) };
    const unit = { id: dir, files: [dir], stamp: "x", lastWriteMs: 0 };
    const turns: SessionTurn[] = [];
    for await (const t of codexSessionReader.read(unit, sink)) turns.push(t);
    const missing = { ...unit, files: [join(dir, "gone.jsonl")] };
    for await (const t of codexSessionReader.read(missing, sink)) turns.push(t);
    expect([turns, problems]).toEqual([[], ["unreadable", "unreadable"]]);
  });

  it("sources that do not exist are simply not there", async () => {
    const home = await tempDir();
    const { units, problems } = await readAll(codexSessionReader.defaultSources({ HOME: home }));
    expect([units, problems]).toEqual([[], []]);
    expect(codexSessionReader.defaultSources({ HOME: home })).toEqual([
      join(home, ".codex", "sessions"),
      join(home, ".codex", "archived_sessions"),
    ]);
  });
});
