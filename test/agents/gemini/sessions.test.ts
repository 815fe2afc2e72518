import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { geminiSessionReader } from "../../../src/agents/gemini/sessions.js";
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

const FIXTURE = join(SESSION_FIXTURES, "gemini");
const FIXTURE_SESSION = "8b30d42c-8ace-43cf-a71b-fef66003be22";
const MODEL = SESSION_MODELS.gemini;
const _ALL_USAGE = scriptedUsage(Object.values(SESSION_USAGE));

/** What every read of the two-prompt session in the WP01 worktree must give. */
function expectWorktreeSession(
  read: Awaited<ReturnType<typeof readAllSessions>>,
  sessionId: string,
  cwd: string,
) {
  const calls = expectTwoPromptSession(read, { model: MODEL, sessionId, lastClosed: false });
  expect(new Set(calls.map((c) => c.cwd))).toEqual(new Set([cwd]));
  expect(calls.map((c) => c.subagent)).toEqual([false, false, false]);
}

describe("Gemini CLI session reader", () => {
  it("reads the real 0.61 session: scripted tokens, two turns, the worktree as cwd", async () => {
    const read = await readAllSessions(geminiSessionReader, [FIXTURE]);
    expect(read.units.map((u) => u.id)).toEqual([
      join(FIXTURE, "tmp", "043-x-wp01", "chats", "session-2026-11-30T12-49-8b30d42c.jsonl"),
    ]);
    expectWorktreeSession(read, FIXTURE_SESSION, `/home/dev/project/${WORKTREE}`);
    // Each call as written once complete (its tokens arrive in a second copy of the message).
    expect(read.turns[0]?.calls.map((c) => c.usage)).toEqual([
      scriptedUsage([SESSION_USAGE.toolCall]),
      scriptedUsage([SESSION_USAGE.answer]),
    ]);
  });

  it("reads the real 0.22 legacy .json session (the public excerpt, its array closed)", async () => {
    const dir = join(await tempDir(), "tmp", "86bc0e27", "chats");
    await mkdir(dir, { recursive: true });
    const excerpt = await readFile(
      join(
        SESSION_FIXTURES,
        "gemini-cli",
        "v0.22.2_legacy-json_session-2025-12-30T06-53-7bc58f7d_EXCERPT-first-2-messages.txt",
      ),
      "utf8",
    );
    await writeFile(
      join(dir, "session-2025-12-30T06-53-7bc58f7d.json"),
      `${excerpt.trimEnd().replace(/,$/, "")}]}`,
    );
    const read = await readAllSessions(geminiSessionReader, [dir]);
    expect(read.problems).toEqual([]);
    expect(read.turns).toMatchObject([
      {
        turnId: "7bc58f7d-1ed0-4f0a-a3ea-0d3986695c8e/472dc558-b4e3-4c5f-a217-cf7567442dae",
        startedAt: "2025-12-30T06:54:06.271Z",
        calls: [
          {
            model: "gemini-3-pro-preview",
            usage: {
              inputTokens: 6737 - 3090,
              cacheReadTokens: 3090,
              outputTokens: 43 + 382,
              reasoningTokens: 382,
              cacheWriteTokens: 0,
            },
            cwd: null,
          },
        ],
      },
    ]);
  });

  it("defaults to GEMINI_CLI_HOME/.gemini, else HOME/.gemini", () => {
    expect(geminiSessionReader.defaultSources({ GEMINI_CLI_HOME: "/g", HOME: "/h" })).toEqual([
      "/g/.gemini",
    ]);
    expect(geminiSessionReader.defaultSources({ HOME: "/h" })).toEqual(["/h/.gemini"]);
  });

  const header = JSON.stringify({ sessionId: "s1", projectHash: "h" });
  const prompt = JSON.stringify({
    id: "u1",
    timestamp: "2026-11-30T10:00:00.000Z",
    type: "user",
    content: [{ text: "go" }],
  });
  const call = (id: string, output: number) =>
    JSON.stringify({
      id,
      timestamp: "2026-11-30T10:00:01.000Z",
      type: "gemini",
      content: "",
      model: MODEL,
      tokens: { input: 1000, output, cached: 400, thoughts: 0, tool: 0, total: 1000 + output },
    });
  it.each([
    [
      "a truncated last line",
      [header, prompt, call("g1", 10), '{"id":"g2","times'],
      "truncated-line",
    ],
    ["a line that is not JSON", [header, prompt, "not json", call("g1", 10)], "bad-line"],
    ["an unknown record", [header, prompt, '{"what":1}', call("g1", 10)], "unknown-record"],
    ["a newer update record", [header, prompt, '{"$patch":{}}', call("g1", 10)], "newer-format"],
  ])("%s is reported, the rest read", async (_name, lines, kind) => {
    const dir = join(await tempDir(), "chats");
    await mkdir(dir);
    await writeFile(join(dir, "session-2026-11-30T10-00-s1000000.jsonl"), lines.join("\n"));
    const read = await readAllSessions(geminiSessionReader, [dir]);
    expect(read.problems.map((p) => p.kind)).toEqual([kind]);
    expect(usageByModel(read.turns)[MODEL]?.outputTokens).toBe(10);
  });

  it("a message rewritten as tokens arrive counts once, with the last tokens", async () => {
    const dir = join(await tempDir(), "chats");
    await mkdir(dir);
    const lines = [header, prompt, call("g1", 3), call("g1", 30), call("g1", 45)];
    await writeFile(join(dir, "session-2026-11-30T10-00-s1000000.jsonl"), `${lines.join("\n")}\n`);
    const read = await readAllSessions(geminiSessionReader, [dir]);
    expect(read.turns[0]?.calls.map((c) => c.usage.outputTokens)).toEqual([45]);
  });

  it("a sub-agent's file (chats/<session id>/) adds its calls to the turn running then", async () => {
    const dir = join(await tempDir(), "chats");
    await mkdir(join(dir, "5a1b2c3d-e5f6-4a7b-8c9d-0e1f2a3b4c5d"), { recursive: true });
    const second = JSON.stringify({
      id: "u2",
      timestamp: "2026-11-30T10:05:00.000Z",
      type: "user",
      content: [{ text: "again" }],
    });
    await writeFile(
      join(dir, "session-2026-11-30T10-00-5a1b2c3d.jsonl"),
      `${[header, prompt, call("g1", 10), second].join("\n")}\n`,
    );
    const sub = JSON.stringify({ sessionId: "sub1", projectHash: "h", kind: "subagent" });
    await writeFile(
      join(dir, "5a1b2c3d-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "sub1.jsonl"),
      `${[sub, call("g9", 4)].join("\n")}\n`,
    );
    const read = await readAllSessions(geminiSessionReader, [dir]);
    expect(read.problems).toEqual([]);
    expect(read.turns.map((t) => t.calls.map((c) => [c.key, c.subagent]))).toEqual([
      [
        ["s1/g1", false],
        ["sub1/g9", true],
      ],
      [],
    ]);
  });

  it("an unreadable session file is reported, the others read", async () => {
    const dir = join(await tempDir(), "chats");
    await mkdir(dir);
    await symlink(join(dir, "gone"), join(dir, "session-2026-11-30T09-00-dead0000.jsonl"));
    await writeFile(
      join(dir, "session-2026-11-30T10-00-s1000000.jsonl"),
      `${[header, prompt, call("g1", 7)].join("\n")}\n`,
    );
    const read = await readAllSessions(geminiSessionReader, [dir]);
    expect(read.problems.map((p) => p.kind)).toEqual(["unreadable"]);
    expect(usageByModel(read.turns)[MODEL]?.outputTokens).toBe(7);
  });

  describe.skipIf("missing" in realAgent("gemini"))("live, the real Gemini CLI 0.61", () => {
    let session: AgentSession | undefined;
    afterEach(async () => {
      await session?.server.close();
    });
    it("reads what a two-prompt session in a WP worktree wrote", async () => {
      session = await runAgentSession("gemini");
      for (const run of session.runs) expect(run.exitCode, run.stderr).toBe(0);
      const read = await readAllSessions(geminiSessionReader, [
        ...geminiSessionReader.defaultSources({ HOME: session.home }),
      ]);
      expectWorktreeSession(read, session.sessionId, session.worktree);
    }, 180_000);
  });
});
