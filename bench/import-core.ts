// npx tsx bench/import-core.ts: the import's own cost (dedup, attribution, events, state) over
// an in-memory reader, apart from reading any agent's files: a cold import, one with nothing
// new, and one after the state was deleted. BENCH_UNITS x 25 turns x 8 calls (default 200).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionLogReader, SessionTurn } from "../src/agents/session-logs.js";
import { importSessions } from "../src/import/import-sessions.js";

const UNITS = Number(process.env.BENCH_UNITS ?? "200");
const FEATURE = "043-bench";
const root = await mkdtemp(join(tmpdir(), "import-bench-"));
await mkdir(join(root, "kitty-specs", FEATURE), { recursive: true });
const cwd = join(root, ".worktrees", `${FEATURE}-WP01`);
await mkdir(cwd, { recursive: true });
const usage = {
  inputTokens: 100,
  outputTokens: 20,
  cacheReadTokens: 1000,
  cacheWriteTokens: 50,
  cacheWrite1hTokens: 0,
  reasoningTokens: 0,
};
const turnsOf = (u: number): SessionTurn[] =>
  Array.from({ length: 25 }, (_, t) => ({
    turnId: `u${u}t${t}`,
    sessionId: `s${u}`,
    startedAt: "2026-03-01T10:00:00.000Z",
    endedAt: "2026-03-01T10:01:00.000Z",
    closed: true,
    signals: { commands: [], paths: [] },
    calls: Array.from({ length: 8 }, (_, c) => ({
      key: `u${u}t${t}c${c}`,
      timestamp: "2026-03-01T10:00:05.000Z",
      model: "claude-sonnet-4-5",
      usage,
      costUsd: null,
      cwd,
      gitBranch: null,
      subagent: false,
    })),
  }));
const reader: SessionLogReader = {
  agent: "claude",
  defaultSources: () => [],
  async *discover() {
    for (let u = 0; u < UNITS; u++) yield { id: `u${u}`, files: [], stamp: "1", lastWriteMs: 0 };
  },
  async *read(unit) {
    yield* turnsOf(Number(unit.id.slice(1)));
  },
};
for (const label of ["cold", "nothing new", "state deleted"]) {
  if (label === "state deleted") await rm(join(root, ".kittify", "import-state.json"));
  const started = performance.now();
  const summary = await importSessions({ root, readers: { claude: reader }, warn: () => {} });
  const [agent] = summary.agents;
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    `${label}: ${ms} ms, ${agent?.events} new events, ${agent?.turns.present} present\n`,
  );
}
await rm(root, { recursive: true });
