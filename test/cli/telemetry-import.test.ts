import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionLogReader } from "../../src/agents/session-logs.js";
import { SESSION_READERS } from "../../src/agents/session-readers.js";
import { call, FEATURE, fakeReader, importProject, turn } from "../support/fake-session-reader.js";
import { runSpecKitty } from "../support/run-cli.js";

const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", name);
const NOW = Date.parse("2026-03-02T00:00:00Z");

function transcript(run: { stdout: string; stderr: string; exitCode: number }): string {
  return `${run.stdout}--- stderr ---\n${run.stderr}--- exit ${run.exitCode} ---\n`;
}

// The CLI reads the registered readers: a fake one stands in for Claude's here.
let saved: SessionLogReader | undefined;
beforeEach(() => {
  saved = SESSION_READERS.claude;
});
afterEach(() => {
  if (saved === undefined) delete SESSION_READERS.claude;
  else SESSION_READERS.claude = saved;
});

async function scenario() {
  const root = await importProject();
  const wt = (wp: string) => join(root, ".worktrees", `${FEATURE}-${wp}`);
  const { reader } = fakeReader(
    "claude",
    [
      {
        id: "u1",
        stamp: "1",
        lastWriteMs: NOW - 60_000,
        turns: [
          turn("t1", [call("a", { cwd: wt("WP01") }), call("b", { cwd: wt("WP02") })]),
          turn("t2", [call("c")], { startedAt: "2026-03-01T11:00:00.000Z" }),
          turn("t3", [call("d", { cwd: "/srv/other" })], { startedAt: "2026-03-01T11:30:00.000Z" }),
          turn("t4", [call("e")], { startedAt: "2026-03-01T23:59:00.000Z", closed: false }),
        ],
        problems: [
          { kind: "truncated-line", where: "/home/u/.claude/projects/p/s1.jsonl:42" },
          { kind: "unknown-record", where: "/home/u/.claude/projects/p/s1.jsonl:7" },
        ],
      },
    ],
    30,
  );
  SESSION_READERS.claude = reader;
  return root;
}

const run = (root: string, ...args: string[]) =>
  runSpecKitty(["agent", "telemetry", "import", "--agent", "claude", "--repo", root, ...args], {
    cwd: root,
    now: NOW,
    env: { HOME: root },
  });

describe("agent telemetry import", () => {
  it.each([
    ["import-summary.txt", []],
    ["import-dry-run.txt", ["--dry-run"]],
    ["import-since.txt", ["--since", "2026-03-01T10:30:00"]],
  ])("%s", async (file, args) => {
    const root = await scenario();
    await expect(transcript(await run(root, ...args))).toMatchFileSnapshot(snapshot(file));
  });

  it("says there is nothing new the second time", async () => {
    const root = await scenario();
    await run(root);
    await expect(transcript(await run(root))).toMatchFileSnapshot(snapshot("import-again.txt"));
  });

  it("prints the summary as JSON", async () => {
    const root = await scenario();
    const result = await run(root, "--json");
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect({ ...summary, root: "<root>" }).toEqual({
      root: "<root>",
      dryRun: false,
      unsupported: [],
      warnings: [],
      agents: [
        {
          agent: "claude",
          sources: ["/nowhere"],
          retentionDays: 30,
          units: { read: 1, skipped: 0 },
          turns: {
            imported: 2,
            present: 0,
            open: 1,
            beforeSince: 0,
            orchestrated: 0,
            empty: 0,
            outside: 1,
          },
          callsOutside: 1,
          events: 3,
          eventsByFeature: { [FEATURE]: 2, "000-unattributed": 1 },
          unattributed: 1,
          problems: {
            "truncated-line": {
              count: 1,
              first: [{ where: "/home/u/.claude/projects/p/s1.jsonl:42", detail: "fake problem" }],
            },
            "unknown-record": {
              count: 1,
              first: [{ where: "/home/u/.claude/projects/p/s1.jsonl:7", detail: "fake problem" }],
            },
          },
        },
      ],
    });
  });

  it.each([
    ["import-bad-agent.txt", ["--agent", "vim"]],
    ["import-cursor.txt", ["--agent", "cursor"]],
    ["import-bad-since.txt", ["--since", "last tuesday"]],
    ["import-bad-flag.txt", ["--everything"]],
  ])("refuses %s with one line and exit 1", async (file, args) => {
    const root = await scenario();
    const result = await runSpecKitty(["agent", "telemetry", "import", "--repo", root, ...args], {
      cwd: root,
      now: NOW,
    });
    await expect(transcript(result)).toMatchFileSnapshot(snapshot(file));
    expect(result.exitCode).toBe(1);
  });
});
