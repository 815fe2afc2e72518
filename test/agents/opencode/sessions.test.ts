import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { opencodeSessionReader } from "../../../src/agents/opencode/sessions.js";
import {
  type AgentSession,
  runAgentSession,
  SESSION_MODELS,
  SESSION_USAGE,
  WORKTREE,
} from "../../support/agent-sessions.js";
import { realAgent } from "../../support/real-agents.js";
import {
  readAllSessions,
  SESSION_FIXTURES,
  scriptedUsage,
  usageByModel,
} from "../../support/session-reading.js";
import { tempDir } from "../../support/temp-project.js";
import { expectTwoPromptSession } from "../../support/two-prompt-session.js";

const FIXTURE = join(SESSION_FIXTURES, "opencode");
const FIXTURE_SESSION = "ses_dd37c708dffeXMczAItJdem5X0";
const MODEL = SESSION_MODELS.opencode;
const ALL_USAGE = scriptedUsage(Object.values(SESSION_USAGE));

function expectWorktreeSession(
  read: Awaited<ReturnType<typeof readAllSessions>>,
  sessionId: string,
  cwd: string,
) {
  const calls = expectTwoPromptSession(read, { model: MODEL, sessionId, lastClosed: false });
  expect(new Set(calls.map((c) => c.cwd))).toEqual(new Set([cwd]));
  expect(calls.map((c) => [c.subagent, c.costUsd])).toEqual([
    [false, null],
    [false, null],
    [false, null],
  ]);
}

/** A writable copy of the fixture database in a fresh data folder. */
async function copyOfFixture(): Promise<string> {
  const data = join(await tempDir(), "opencode");
  await mkdir(data);
  await copyFile(join(FIXTURE, "opencode.db"), join(data, "opencode.db"));
  return data;
}

const sha = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

/** An assistant message of the fixture's session, as OpenCode 1.18 writes it. */
function assistantRow(id: string, created: number, tokens: object, extra: object = {}) {
  return {
    id,
    data: JSON.stringify({
      role: "assistant",
      modelID: "gpt-5.1-codex",
      providerID: "e2e",
      cost: 0,
      time: { created, completed: created + 1000 },
      tokens,
      ...extra,
    }),
  };
}

function insertMessage(
  db: Database.Database,
  row: { id: string; data: string },
  session = FIXTURE_SESSION,
) {
  db.prepare(
    "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?)",
  ).run(row.id, session, 1796043190000, 1796043190000, row.data);
}

describe("OpenCode session reader", () => {
  it("reads the real 1.18.33 database: scripted tokens, two turns, the worktree as cwd; never writes it", async () => {
    const before = await sha(join(FIXTURE, "opencode.db"));
    const read = await readAllSessions(opencodeSessionReader, [FIXTURE]);
    expect(read.units.map((u) => u.id)).toEqual([
      `${join(FIXTURE, "opencode.db")}#${FIXTURE_SESSION}`,
    ]);
    expectWorktreeSession(read, FIXTURE_SESSION, `/home/dev/project/${WORKTREE}`);
    expect(read.turns[0]?.calls.map((c) => c.usage)).toEqual([
      scriptedUsage([SESSION_USAGE.toolCall]),
      scriptedUsage([SESSION_USAGE.answer]),
    ]);
    expect(await sha(join(FIXTURE, "opencode.db"))).toBe(before);
  });

  it("reads rows still in the write-ahead log of a database OpenCode holds open", async () => {
    const data = await copyOfFixture();
    const writer = new Database(join(data, "opencode.db"));
    try {
      writer.pragma("journal_mode = WAL");
      writer.pragma("wal_autocheckpoint = 0");
      insertMessage(writer, assistantRow("msg_zz1", 1796043190000, { input: 7, output: 3 }));
      const read = await readAllSessions(opencodeSessionReader, [data]);
      expect(read.problems).toEqual([]);
      expect(usageByModel(read.turns)[MODEL]?.inputTokens).toBe(ALL_USAGE.inputTokens + 7);
    } finally {
      writer.close();
    }
  });

  it("a child (sub-agent) session's calls belong to the parent's turn, with their own cwd and cost", async () => {
    const data = await copyOfFixture();
    const db = new Database(join(data, "opencode.db"));
    db.prepare(
      "INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, time_created, time_updated) SELECT 'ses_child', project_id, id, 'child', '/elsewhere', 't', version, 1796043160000, 1796043160000 FROM session",
    ).run();
    insertMessage(
      db,
      assistantRow(
        "msg_child1",
        1796043160000,
        { input: 50, output: 5, reasoning: 1 },
        { cost: 0.25 },
      ),
      "ses_child",
    );
    db.close();
    const read = await readAllSessions(opencodeSessionReader, [data]);
    expect(read.units).toHaveLength(1);
    expect(read.turns.map((t) => t.calls.length)).toEqual([3, 1]);
    expect(read.turns[0]?.calls.find((c) => c.subagent)).toMatchObject({
      key: "opencode/msg_child1",
      cwd: "/elsewhere",
      costUsd: 0.25,
      usage: { inputTokens: 50, outputTokens: 6, reasoningTokens: 1 },
    });
  });

  it("a locked database is reported as locked, not thrown", async () => {
    const data = await copyOfFixture();
    const writer = new Database(join(data, "opencode.db"));
    writer.exec("BEGIN EXCLUSIVE");
    try {
      const read = await readAllSessions(opencodeSessionReader, [data]);
      expect(read.problems.map((p) => p.kind)).toEqual(["locked"]);
      expect(read.turns).toEqual([]);
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
  }, 30_000);

  it.each([
    ["a file that is not a database", "unreadable"],
    ["a newer schema without a message table", "newer-format"],
  ])("%s is reported, the others read", async (name, kind) => {
    const data = await copyOfFixture();
    const other = join(data, "opencode-beta.db");
    if (kind === "unreadable") await writeFile(other, "not sqlite at all, just text");
    else new Database(other).exec("CREATE TABLE session_message (id text)").close();
    const read = await readAllSessions(opencodeSessionReader, [data]);
    expect(
      read.problems.map((p) => p.kind),
      name,
    ).toEqual([kind]);
    expect(usageByModel(read.turns)).toEqual({ [MODEL]: ALL_USAGE });
  });

  it("a message whose data is not JSON is reported, the rest read", async () => {
    const data = await copyOfFixture();
    const db = new Database(join(data, "opencode.db"));
    insertMessage(db, { id: "msg_zz2", data: "{broken" });
    db.close();
    const read = await readAllSessions(opencodeSessionReader, [data]);
    expect(read.problems.map((p) => p.kind)).toEqual(["bad-line"]);
    expect(usageByModel(read.turns)).toEqual({ [MODEL]: ALL_USAGE });
  });

  it("reads the older JSON storage (the public 2025-09 message), unless the database has the session", async () => {
    const data = await copyOfFixture();
    const sample = await readFile(
      join(
        SESSION_FIXTURES,
        "opencode-public",
        "2025-09_message-info_EXCERPT_from-toji_electron-CONVO.md.txt",
      ),
      "utf8",
    );
    // Fragment B is the message's fields after `id` and `role` (fragment A), closing brace kept out.
    const body = (sample.split("### fragment B")[1]?.split("### fragment C")[0] ?? "")
      .split("\n")
      .slice(1)
      .join("\n")
      .trim()
      .replace(/\},?$/, "");
    const message = JSON.parse(
      `{"id": "msg_95521bfdd001ZM07GcDYAneK54", "role": "assistant", ${body}}`,
    ) as { sessionID: string };
    const folder = join(data, "storage", "message", message.sessionID);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "msg_95521bfdd001ZM07GcDYAneK54.json"), JSON.stringify(message));
    // The same session copied into storage as well: the database's rows win, nothing twice.
    const copy = join(data, "storage", "message", FIXTURE_SESSION);
    await mkdir(copy, { recursive: true });
    const fixtureRow = new Database(join(FIXTURE, "opencode.db"), { readonly: true })
      .prepare("SELECT id, data FROM message ORDER BY time_created LIMIT 1 OFFSET 1")
      .get() as { id: string; data: string };
    await writeFile(
      join(copy, `${fixtureRow.id}.json`),
      JSON.stringify({
        id: fixtureRow.id,
        sessionID: FIXTURE_SESSION,
        ...JSON.parse(fixtureRow.data),
      }),
    );
    const read = await readAllSessions(opencodeSessionReader, [data]);
    expect(read.problems).toEqual([]);
    expect(usageByModel(read.turns)).toEqual({
      [MODEL]: ALL_USAGE,
      // 2025: this provider's input still counted its cache reads; kept as OpenCode wrote it.
      "opencode/grok-code": {
        inputTokens: 9640,
        outputTokens: 12 + 266,
        reasoningTokens: 266,
        cacheReadTokens: 9600,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
      },
    });
    const legacy = read.turns.find((t) => t.sessionId === message.sessionID);
    expect(legacy?.calls[0]).toMatchObject({
      cwd: "C:\\Users\\donth\\OneDrive\\Desktop\\tojiTest",
      timestamp: "2025-09-17T00:45:01.481Z",
      costUsd: null,
    });
  });

  it("defaults to XDG_DATA_HOME/opencode, else ~/.local/share/opencode", () => {
    expect(opencodeSessionReader.defaultSources({ XDG_DATA_HOME: "/x", HOME: "/h" })).toEqual([
      "/x/opencode",
    ]);
    expect(opencodeSessionReader.defaultSources({ HOME: "/h" })).toEqual([
      "/h/.local/share/opencode",
    ]);
  });

  describe.skipIf("missing" in realAgent("opencode"))("live, the real OpenCode 1.18.33", () => {
    let session: AgentSession | undefined;
    afterEach(async () => {
      await session?.server.close();
    });
    it("reads what a two-prompt session in a WP worktree wrote", async () => {
      session = await runAgentSession("opencode");
      for (const run of session.runs) expect(run.exitCode, run.stderr).toBe(0);
      const read = await readAllSessions(opencodeSessionReader, [
        ...opencodeSessionReader.defaultSources({ HOME: session.home }),
      ]);
      expectWorktreeSession(read, session.sessionId, session.worktree);
    }, 240_000);
  });
});
