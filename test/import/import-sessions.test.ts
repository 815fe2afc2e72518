import { cp, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { type ImportOptions, importSessions } from "../../src/import/import-sessions.js";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { listFeatureDirs } from "../../src/telemetry/features.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import {
  call,
  type FakeUnit,
  FEATURE,
  fakeReader,
  importProject,
  turn,
} from "../support/fake-session-reader.js";
import { tempDir } from "../support/temp-project.js";

const NOW = Date.parse("2026-03-02T00:00:00Z");
const QUIET = NOW - 60 * 60 * 1000;
const wt = (root: string, wp: string) => join(root, ".worktrees", `${FEATURE}-${wp}`);

async function importInto(root: string, units: FakeUnit[], over: Partial<ImportOptions> = {}) {
  const { reader, reads } = fakeReader("claude", units);
  const warnings: TelemetryWarning[] = [];
  const summary = await importSessions({
    root,
    readers: { claude: reader },
    env: {},
    now: () => NOW,
    warn: (w) => warnings.push(w),
    ...over,
  });
  const [agent] = summary.agents;
  if (agent === undefined) throw new Error("no agent summary");
  return { summary, agent, reads, warnings };
}

/** Every event in the project's logs, as `<feature>/<wp>` with its payload. */
async function stored(root: string): Promise<Event[]> {
  const events: Event[] = [];
  for (const f of await listFeatureDirs(root, { warn: () => undefined })) {
    const store = new SimpleJsonStore(join(f.dir, "execution.events.jsonl"));
    events.push(...(await store.read()).events);
  }
  return events;
}

function unit(id: string, turns: FakeUnit["turns"], over: Partial<FakeUnit> = {}): FakeUnit {
  return { id, stamp: "1", lastWriteMs: QUIET, turns, ...over };
}

describe("importSessions", () => {
  it("makes one event of a closed turn: per-model usage, summed totals, reported cost, its time", async () => {
    const root = await importProject();
    const cwd = join(wt(root, "WP01"), "src");
    const usage = (input: number, write1h: number) => ({
      inputTokens: input,
      outputTokens: 30,
      cacheReadTokens: 200,
      cacheWriteTokens: 10,
      cacheWrite1hTokens: write1h,
      reasoningTokens: 5,
    });
    const calls = [
      call("a", { cwd, usage: usage(100, 4), costUsd: 0.1 }),
      call("b", { cwd, usage: usage(7, 0), costUsd: 0.2, model: "claude-haiku-4-5" }),
      call("c", { cwd, usage: usage(1, 0), costUsd: 0.0000001 }),
    ];
    const { agent } = await importInto(root, [unit("u1", [turn("t1", calls)])]);
    const [event] = await stored(root);
    expect({ agent: agent.eventsByFeature, event }).toEqual({
      agent: { [FEATURE]: 1 },
      event: {
        event_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/),
        event_type: "ExecutionEvent",
        aggregate_id: FEATURE,
        node_id: "import:claude:WP01",
        lamport_clock: 1,
        causation_id: null,
        timestamp: "2026-03-01T10:00:00+00:00",
        payload: {
          wp_id: "WP01",
          agent: "claude",
          role: "implementer",
          model: "claude-sonnet-4-5",
          input_tokens: 108,
          output_tokens: 90,
          cache_read_tokens: 600,
          cache_write_tokens: 30,
          cache_write_1h_tokens: 4,
          reasoning_tokens: 15,
          cost_usd: 0.3000001,
          cost_source: "reported",
          models: [
            expect.objectContaining({
              model: "claude-sonnet-4-5",
              input_tokens: 101,
              cost_usd: 0.1000001,
            }),
            expect.objectContaining({ model: "claude-haiku-4-5", input_tokens: 7, cost_usd: 0.2 }),
          ],
          duration_ms: 90_000,
          success: true,
          error: null,
          exit_code: 0,
          session_id: "s1",
          source: "import",
          attribution: "worktree",
        },
      },
    });
  });

  it("leaves the cost to the estimate when one call reported none, and takes the role from the command", async () => {
    const root = await importProject();
    const t = turn("t1", [call("a", { costUsd: 0.5 }), call("b")], {
      signals: { commands: [{ step: "review", wpId: "WP02", feature: FEATURE }], paths: [] },
    });
    await importInto(root, [unit("u1", [t])]);
    const [event] = await stored(root);
    expect([event?.payload.cost_usd, event?.payload.role, event?.payload.wp_id]).toEqual([
      null,
      "reviewer",
      "WP02",
    ]);
  });

  it.each([
    ["in discovery order", false],
    ["with the copy found first", true],
  ])(
    "counts a call copied into a later session once, in its first turn, with its largest usage (%s)",
    async (_, reversed) => {
      const root = await importProject();
      const cwd = wt(root, "WP01");
      const small = call("dup", { cwd });
      const large = call("dup", { cwd, usage: { ...small.usage, outputTokens: 999 } });
      const units = [
        unit("a", [turn("orig", [small])]),
        unit("b", [
          turn("resumed", [large, call("new", { cwd })], {
            sessionId: "s2",
            startedAt: "2026-03-01T11:00:00.000Z",
          }),
        ]),
      ];
      const { agent } = await importInto(root, reversed ? units.reverse() : units);
      const events = (await stored(root)).map((e) => [
        e.payload.session_id,
        e.payload.output_tokens,
      ]);
      expect({ events: events.sort(), imported: agent.turns.imported }).toEqual({
        events: [
          ["s1", 999],
          ["s2", 20],
        ],
        imported: 2,
      });
    },
  );

  it("merges a sub-agent's calls, read from its own unit under the parent turn's id, into that turn", async () => {
    const root = await importProject();
    const cwd = wt(root, "WP01");
    const parent = unit("parent", [
      turn("t1", [call("p1", { cwd })], { endedAt: "2026-03-01T10:05:00.000Z" }),
    ]);
    const child = unit("child", [
      turn("t1", [call("c1", { cwd, subagent: true, model: "gpt-5.5" })]),
    ]);
    const first = await importInto(root, [parent, child]);
    // A second sub-agent's unit, written after the turn was imported.
    const later = unit("later", [turn("t1", [call("c2", { cwd, subagent: true })])]);
    const second = await importInto(root, [parent, child, later]);
    await rm(join(root, ".kittify", "import-state.json"));
    const third = await importInto(root, [parent, child, later]);
    const events = (await stored(root)).map((e) => [
      e.payload.session_id,
      e.payload.input_tokens,
      e.payload.duration_ms,
    ]);
    expect({ counts: [first, second, third].map((r) => r.agent.events), events }).toEqual({
      counts: [1, 1, 0],
      events: [
        ["s1", 200, 300_000],
        ["s1", 100, 0],
      ],
    });
  });

  it("does not import again a session that orchestrate recorded", async () => {
    const root = await importProject();
    await emitExecutionEvent(
      join(root, "kitty-specs", FEATURE),
      FEATURE,
      "WP01",
      "claude",
      "implementer",
      {
        source: "orchestrate",
        sessionId: "s-orch",
        inputTokens: 100,
      },
    );
    const cwd = wt(root, "WP01");
    const units = [
      unit("u1", [turn("t1", [call("a", { cwd })], { sessionId: "s-orch" })]),
      unit("u2", [turn("t2", [call("b", { cwd })], { sessionId: "s-mine" })]),
    ];
    const { agent } = await importInto(root, units);
    const sources = (await stored(root)).map((e) => `${e.payload.source} ${e.payload.session_id}`);
    expect({ sources, turns: agent.turns.orchestrated }).toEqual({
      sources: ["orchestrate s-orch", "import s-mine"],
      turns: 1,
    });
  });

  it("splits a turn that moved from one worktree to another into one event per WP", async () => {
    const root = await importProject();
    const t = turn("t1", [
      call("a", { cwd: wt(root, "WP01"), timestamp: "2026-03-01T10:00:10.000Z" }),
      call("b", { cwd: wt(root, "WP02"), timestamp: "2026-03-01T10:00:20.000Z" }),
      call("c", { cwd: wt(root, "WP02"), timestamp: "2026-03-01T10:00:50.000Z" }),
    ]);
    const { agent } = await importInto(root, [unit("u1", [t])]);
    const events = (await stored(root)).map((e) => [
      e.payload.wp_id,
      e.payload.input_tokens,
      e.payload.duration_ms,
      e.timestamp,
    ]);
    expect({ events, turns: agent.turns.imported, count: agent.events }).toEqual({
      events: [
        ["WP01", 100, 0, "2026-03-01T10:00:00+00:00"],
        ["WP02", 200, 30_000, "2026-03-01T10:00:00+00:00"],
      ],
      turns: 1,
      count: 2,
    });
  });

  it("adds nothing the second time, nor after the state is deleted, nor on a clone that has the events", async () => {
    const root = await importProject();
    const units = [
      unit("u1", [turn("t1", [call("a", { cwd: wt(root, "WP01") }), call("b")])]),
      unit("u2", [turn("t2", [call("c", { cwd: join(root, "kitty-specs") })])]),
    ];
    const first = await importInto(root, units);
    const second = await importInto(root, units);
    await rm(join(root, ".kittify", "import-state.json"));
    const third = await importInto(root, units);
    // A fresh clone at the same place: the logs as git has them, no state, no index sidecars.
    const moved = join(await tempDir(), "moved");
    await rename(root, moved);
    const tracked = (p: string) => !p.includes(".kittify") && !p.endsWith(".index.json");
    await cp(moved, root, { recursive: true, filter: tracked });
    const fourth = await importInto(root, units);
    expect({
      events: [first, second, third, fourth].map((r) => r.agent.events),
      reads: [first, second, third, fourth].map((r) => r.reads.length),
      present: [third, fourth].map((r) => r.agent.turns.present),
      stored: (await stored(root)).length,
    }).toEqual({ events: [3, 0, 0, 0], reads: [2, 0, 2, 2], present: [2, 2], stored: 3 });
  });

  it("rewrites no state when nothing was read", async () => {
    const root = await importProject();
    const units = [unit("u1", [turn("t1", [call("a")])])];
    await importInto(root, units);
    const state = join(root, ".kittify", "import-state.json");
    const before = (await stat(state)).ino;
    await importInto(root, units);
    expect((await stat(state)).ino).toBe(before);
  });

  it.each([
    ["the turn closes", { closed: true }, {}, {}],
    ["the unit has been quiet for the quiet time", {}, { lastWriteMs: NOW - 11 * 60 * 1000 }, {}],
    ["a hook says the session ended", {}, {}, { endedSessions: ["s1"] }],
  ])(
    "leaves an open turn for later, and imports it once %s",
    async (_, turnLater, unitLater, options) => {
      const root = await importProject();
      const open = { closed: false };
      const u = unit("u1", [turn("t1", [call("a")], open)], { lastWriteMs: NOW - 60_000 });
      const before = await importInto(root, [u]);
      u.turns = [turn("t1", [call("a")], { ...open, ...turnLater })];
      Object.assign(u, unitLater);
      const after = await importInto(root, [u], options);
      expect([before.agent.turns.open, before.agent.events, after.agent.events]).toEqual([1, 0, 1]);
    },
  );

  it("records the calls a turn made after it was imported as quiet in a continuation event, once", async () => {
    const root = await importProject();
    const quietOpen = { closed: false };
    const u = unit("u1", [turn("t1", [call("a")], quietOpen)]);
    const first = await importInto(root, [u]);
    u.turns = [
      turn("t1", [call("a"), call("late", { usage: { ...call("x").usage, outputTokens: 7 } })]),
    ];
    u.stamp = "2";
    const second = await importInto(root, [u]);
    const third = await importInto(root, [u]);
    await rm(join(root, ".kittify", "import-state.json"));
    const fourth = await importInto(root, [u]);
    const outputs = (await stored(root)).map((e) => e.payload.output_tokens);
    expect({
      events: [first, second, fourth].map((r) => r.agent.events),
      outputs,
      third: third.agent.events,
    }).toEqual({
      events: [1, 1, 0],
      outputs: [20, 7],
      third: 0,
    });
  });

  it("skips turns before --since, and imports them on a later import without it", async () => {
    const root = await importProject();
    const turns = [
      turn("early", [call("a")], { startedAt: "2026-02-01T10:00:00.000Z" }),
      turn("late", [call("b")]),
    ];
    const since = await importInto(root, [unit("u1", turns)], {
      since: new Date("2026-03-01T00:00:00Z"),
    });
    const all = await importInto(root, [unit("u1", turns)]);
    expect([since.agent.events, since.agent.turns.beforeSince, all.agent.events]).toEqual([
      1, 1, 1,
    ]);
  });

  it("writes nothing in a dry run, and counts what it would write", async () => {
    const root = await importProject();
    const { agent } = await importInto(root, [unit("u1", [turn("t1", [call("a")])])], {
      dryRun: true,
    });
    const state = await readFile(join(root, ".kittify", "import-state.json"), "utf8").catch(
      () => null,
    );
    expect({
      events: agent.events,
      unattributed: agent.unattributed,
      stored: await stored(root),
      state,
    }).toEqual({
      events: 1,
      unattributed: 1,
      stored: [],
      state: null,
    });
  });

  it.each([
    ["not JSON", "{oops"],
    ["a wrong shape", '{"version":1,"agents":{"claude":{"units":[]}}}'],
  ])("ignores a state file that is %s, with a warning", async (_, text) => {
    const root = await importProject();
    await mkdir(join(root, ".kittify"));
    await writeFile(join(root, ".kittify", "import-state.json"), text);
    const { summary, agent } = await importInto(root, [unit("u1", [turn("t1", [call("a")])])]);
    const again = await importInto(root, [unit("u1", [turn("t1", [call("a")])])]);
    expect([summary.warnings, agent.events, again.reads.length]).toEqual([
      [expect.stringMatching(/import-state\.json .*ignored/)],
      1,
      0,
    ]);
  });

  it("puts usage no signal places in the 000-unattributed bucket and leaves other projects' calls", async () => {
    const root = await importProject();
    const units = [
      unit("u1", [turn("t1", [call("a")])]),
      unit("u2", [turn("t2", [call("b", { cwd: "/srv/elsewhere" })])]),
    ];
    const { agent } = await importInto(root, units);
    const events = (await stored(root)).map(
      (e) => `${e.aggregate_id}/${e.payload.wp_id} ${e.payload.attribution}`,
    );
    expect({
      events,
      unattributed: agent.unattributed,
      outside: [agent.turns.outside, agent.callsOutside],
    }).toEqual({
      events: ["000-unattributed/unattributed none"],
      unattributed: 1,
      outside: [1, 1],
    });
  });

  it("counts a reader's problems with their first places, and imports the rest", async () => {
    const root = await importProject();
    const problems = [
      { kind: "truncated-line" as const, where: "u1:7" },
      { kind: "unknown-record" as const, where: "u1:2" },
      { kind: "unknown-record" as const, where: "u1:3" },
    ];
    const { agent } = await importInto(root, [unit("u1", [turn("t1", [call("a")])], { problems })]);
    expect({ problems: agent.problems, events: agent.events }).toEqual({
      problems: {
        "truncated-line": { count: 1, first: [{ where: "u1:7", detail: "fake problem" }] },
        "unknown-record": {
          count: 2,
          first: [
            { where: "u1:2", detail: "fake problem" },
            { where: "u1:3", detail: "fake problem" },
          ],
        },
      },
      events: 1,
    });
  });
});
