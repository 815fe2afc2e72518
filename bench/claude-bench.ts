// npm run bench, the Claude session logs part: the session-log reader over a generated projects
// folder (1 GB by default) against reading the same bytes, and the import command cold and with
// nothing new once `agent telemetry import` exists. See bench/README.md.
import { spawnSync } from "node:child_process";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type ClaudeBenchData, generateClaudeProjects } from "./claude-sessions.js";

/** A whole-process run as bench/run.ts measures it. */
export interface BenchRun {
  readonly ms: number;
  readonly maxRssKb: number;
  readonly stdout: string;
}

export interface ClaudeBenchOptions {
  readonly bytes: number;
  readonly seed: string;
  readonly runs: number;
  /** The built CLI (dist/cli/main.js). */
  readonly cli: string;
  /** Runs `node <args>` as a measured process; rejects unless it exits 0. */
  readonly runNode: (args: readonly string[], scratch: string) => Promise<BenchRun>;
  readonly progress: (text: string) => void;
}

export interface ClaudeBenchResult {
  readonly data: ClaudeBenchData;
  /** Rows in order: measure name and its runs. */
  readonly rows: readonly (readonly [string, readonly BenchRun[]])[];
  /** Why the import rows are missing, or what a check found wrong. */
  readonly notes: readonly string[];
}

const HERE = import.meta.dirname;
const READER = join(HERE, "claude-read.mjs");
const READ_FLOOR = join(HERE, "read-floor.mjs");
const PARSE_FLOOR = join(HERE, "parse-floor.mjs");

/** Whether the built CLI has the import command (another slice of issue 12 adds it). */
function hasImport(cli: string): boolean {
  const help = spawnSync(process.execPath, [cli, "agent", "telemetry", "import", "--help"], {
    encoding: "utf8",
  });
  return help.status === 0 && help.stdout.includes("--source");
}

/** Deletes what an import wrote into the project: its state and the event logs. */
async function resetRepo(repo: string): Promise<void> {
  await rm(join(repo, ".kittify"), { recursive: true, force: true });
  const specs = join(repo, "kitty-specs");
  for (const feature of await readdir(specs)) {
    await rm(join(specs, feature, "execution.events.jsonl"), { force: true });
  }
}

export async function measureClaudeSessions(o: ClaudeBenchOptions): Promise<ClaudeBenchResult> {
  const dir = join(HERE, ".data", `claude-${o.bytes}-seed${o.seed}`);
  const t = performance.now();
  const data = await generateClaudeProjects(dir, o.bytes, o.seed);
  o.progress(
    `[claude] ${(data.bytes / 1e6).toFixed(0)} MB in ${data.files.length} files ` +
      `(${data.sessions} sessions, ${data.subagentFiles} sub-agent files, ${data.forkedCopies} forked copies, ` +
      `${data.calls} distinct calls) ready in ${((performance.now() - t) / 1000).toFixed(1)} s under ${dir}`,
  );
  const scratch = join(dir, ".bench");
  await mkdir(scratch, { recursive: true });
  const notes: string[] = [];
  const note = (text: string) => {
    if (!notes.includes(text)) {
      notes.push(text);
      o.progress(`  ${text}`);
    }
  };

  const readFloor = async () => {
    const run = await o.runNode([READ_FLOOR, ...data.files], scratch);
    if (Number(run.stdout.trim()) !== data.bytes)
      note(`read floor read ${run.stdout.trim()} bytes, the generator wrote ${data.bytes}`);
    return run;
  };
  const parseFloor = async () => {
    const run = await o.runNode([PARSE_FLOOR, ...data.files], scratch);
    if (Number(run.stdout.trim()) !== data.lines)
      note(`parse floor parsed ${run.stdout.trim()} lines, the generator wrote ${data.lines}`);
    return run;
  };
  const reader = async () => {
    const run = await o.runNode([READER, data.projects], scratch);
    const got = JSON.parse(run.stdout) as { calls: number; tokens: unknown; problems: number };
    const expected = JSON.stringify({ calls: data.calls, tokens: data.tokens, problems: 0 });
    const found = JSON.stringify({ calls: got.calls, tokens: got.tokens, problems: got.problems });
    if (found !== expected) note(`the reader found ${found}, the generator wrote ${expected}`);
    return run;
  };

  const measures: [string, () => Promise<BenchRun>][] = [
    ["read floor: the bytes, 1 MiB chunks (node bench/read-floor.mjs)", readFloor],
    ["parse floor: JSON.parse of every line (node bench/parse-floor.mjs)", parseFloor],
    ["session-log reader: discover + read every unit (node bench/claude-read.mjs)", reader],
  ];
  if (hasImport(o.cli)) {
    const importArgs = [o.cli, "agent", "telemetry", "import", "--agent", "claude"];
    const args = [...importArgs, "--source", data.projects, "--repo", data.repo, "--json"];
    measures.push(
      [
        "import --agent claude, cold (no state, no events)",
        async () => {
          await resetRepo(data.repo);
          return o.runNode(args, scratch);
        },
      ],
      ["import --agent claude, nothing new (right after a run)", () => o.runNode(args, scratch)],
    );
  } else {
    note("no `agent telemetry import --source` in the built CLI yet: the import rows are left out");
  }

  // One unmeasured run of each (the page cache and the JIT alike for all), then round-robin.
  for (const [, run] of measures) await run();
  const rows = measures.map(([name]) => [name, [] as BenchRun[]] as const);
  for (let i = 0; i < o.runs; i++) {
    o.progress(`[claude] floors, reader and import, run ${i + 1}/${o.runs}`);
    for (const [index, [, run]] of measures.entries()) rows[index]?.[1].push(await run());
  }
  await resetRepo(data.repo);
  // The reader's own figure: what grows with the logs, Node's start and module loading left out.
  const readerRuns = rows.find(([name]) => name.startsWith("session-log reader"))?.[1] ?? [];
  const inProcess = readerRuns.map((run) => ({
    ...run,
    ms: (JSON.parse(run.stdout) as { ms: number }).ms,
  }));
  const all = [
    ...rows,
    [
      "session-log reader, in-process (its own clock: no start, no module loading)",
      inProcess,
    ] as const,
  ];
  return { data, rows: all, notes };
}
