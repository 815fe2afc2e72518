import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copilotSessionReader } from "../../../src/agents/copilot/sessions.js";
import {
  type AgentSession,
  FEATURE,
  runAgentSession,
  SESSION_MODELS,
  SESSION_USAGE,
  WORKTREE,
  WP,
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

const FIXTURE = join(SESSION_FIXTURES, "copilot");
const FIXTURE_SESSION = "f6c91617-f06e-430e-9f36-9978916fc6e7";
const FIXTURE_EVENTS = join(FIXTURE, "session-state", FIXTURE_SESSION, "events.jsonl");
const MODEL = SESSION_MODELS.copilot;
const ALL_USAGE = scriptedUsage(Object.values(SESSION_USAGE));

function expectWorktreeSession(
  read: Awaited<ReturnType<typeof readAllSessions>>,
  sessionId: string,
  cwd: string,
) {
  // Each process run ended with a shutdown: both turns are over.
  const calls = expectTwoPromptSession(read, { model: MODEL, sessionId, lastClosed: true });
  expect(new Set(calls.map((c) => [c.cwd, c.gitBranch].join(" ")))).toEqual(
    new Set([`${cwd} ${FEATURE}-${WP}`]),
  );
  expect(calls.map((c) => c.costUsd)).toEqual([null, null, null]);
}

/** A session folder with `lines` as its events.jsonl, under a fresh Copilot home. */
async function homeWith(lines: readonly string[], id = "s1"): Promise<string> {
  const home = await tempDir();
  const dir = join(home, "session-state", id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "events.jsonl"), lines.join("\n"));
  return home;
}

const fixtureLines = async () =>
  (await readFile(FIXTURE_EVENTS, "utf8")).split("\n").filter((l) => l !== "");

describe("Copilot CLI session reader", () => {
  it("reads the real 1.0.102 session: usage records only (not the shutdown sums nor the messages' output)", async () => {
    const read = await readAllSessions(copilotSessionReader, [FIXTURE]);
    expect(read.units.map((u) => u.id)).toEqual([FIXTURE_EVENTS]);
    expectWorktreeSession(read, FIXTURE_SESSION, `/home/dev/project/${WORKTREE}`);
    expect(read.turns[0]?.calls.map((c) => c.usage)).toEqual([
      scriptedUsage([SESSION_USAGE.toolCall]),
      scriptedUsage([SESSION_USAGE.answer]),
    ]);
  });

  it("without usage records, the shutdowns' running sums count once: each run's growth", async () => {
    const lines = (await fixtureLines()).filter((l) => !l.includes('"session.usage_record"'));
    const read = await readAllSessions(copilotSessionReader, [await homeWith(lines)]);
    expect(read.problems).toEqual([]);
    expect(usageByModel(read.turns)).toEqual({ [MODEL]: ALL_USAGE });
    expect(read.turns.map((t) => t.calls.length)).toEqual([1, 1]);
  });

  it("reads the real 1.0.78 session (public lines): its shutdown's per-run sums, cwd from session.start", async () => {
    const read = await readAllSessions(copilotSessionReader, [
      join(SESSION_FIXTURES, "copilot-cli", "v1.0.78_events_selected-lines_1-2-5-6-11-last.jsonl"),
    ]);
    expect(read.problems).toEqual([]);
    expect(usageByModel(read.turns)).toEqual({
      "qwen3:0.6b": scriptedUsage([{ input: 4100, output: 978 }]),
    });
    expect(read.turns.flatMap((t) => t.calls).map((c) => [c.cwd, c.gitBranch])).toEqual([
      ["/work", "master"],
    ]);
  });

  it("1.0.78 shutdowns without watermarks are one run each: summed", async () => {
    const sample = (
      await readFile(
        join(
          SESSION_FIXTURES,
          "copilot-cli",
          "v1.0.78_events_selected-lines_1-2-5-6-11-last.jsonl",
        ),
        "utf8",
      )
    ).trim();
    const last = sample.split("\n").at(-1) ?? "";
    const again = last.replace("b4504c56-", "c4504c56-").replace("20:41:27", "20:50:00");
    const read = await readAllSessions(copilotSessionReader, [await homeWith([sample, again])]);
    expect(usageByModel(read.turns)["qwen3:0.6b"]).toMatchObject({
      inputTokens: 8200,
      outputTokens: 1956,
    });
  });

  it("takes cwd and branch from workspace.yaml when the events have no context", async () => {
    const lines = (await fixtureLines()).filter(
      (l) => !l.includes('"session.start"') && !l.includes('"session.resume"'),
    );
    const home = await homeWith(lines);
    await writeFile(
      join(home, "session-state", "s1", "workspace.yaml"),
      await readFile(join(SESSION_FIXTURES, "copilot-cli", "v1.0.78_workspace.yaml")),
    );
    const read = await readAllSessions(copilotSessionReader, [home]);
    expect(
      new Set(read.turns.flatMap((t) => t.calls).map((c) => `${c.cwd} ${c.gitBranch}`)),
    ).toEqual(new Set(["/work master"]));
    expect(read.turns[0]?.sessionId).toBe("s1");
  });

  it.each([
    [
      "a truncated last line",
      (l: string[]) => [...l, '{"type":"session.usage_rec'],
      "truncated-line",
    ],
    ["a line that is not JSON", (l: string[]) => ["garbage", ...l], "bad-line"],
    [
      "an event without a type",
      (l: string[]) => [...l.slice(0, 1), '{"data":{}}', ...l.slice(1)],
      "unknown-record",
    ],
    [
      "a newer session format",
      (l: string[]) => [
        l[0]?.replace('"version": 1', '"version": 2').replace('"version":1', '"version":2') ?? "",
        ...l.slice(1),
      ],
      "newer-format",
    ],
  ])("%s is reported, the rest read", async (_name, change, kind) => {
    const read = await readAllSessions(copilotSessionReader, [
      await homeWith(change(await fixtureLines())),
    ]);
    expect(read.problems.map((p) => p.kind)).toEqual([kind]);
    expect(usageByModel(read.turns)).toEqual({ [MODEL]: ALL_USAGE });
  });

  it("defaults to COPILOT_HOME, else ~/.copilot", () => {
    expect(copilotSessionReader.defaultSources({ COPILOT_HOME: "/c", HOME: "/h" })).toEqual(["/c"]);
    expect(copilotSessionReader.defaultSources({ HOME: "/h" })).toEqual(["/h/.copilot"]);
  });

  describe.skipIf("missing" in realAgent("copilot"))("live, the real Copilot CLI 1.0.102", () => {
    let session: AgentSession | undefined;
    afterEach(async () => {
      await session?.server.close();
    });
    it("reads what a two-prompt session in a WP worktree wrote", async () => {
      session = await runAgentSession("copilot");
      for (const run of session.runs) expect(run.exitCode, run.stderr).toBe(0);
      const read = await readAllSessions(copilotSessionReader, [
        ...copilotSessionReader.defaultSources({ HOME: session.home }),
      ]);
      expectWorktreeSession(read, session.sessionId, session.worktree);
    }, 180_000);
  });
});
