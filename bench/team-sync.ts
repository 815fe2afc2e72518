// The team store's benchmark: `sync --to postgres://` of a generated project into a real, local
// PostgreSQL server (its own throwaway cluster), then an incremental sync of 1% more events.
// Usage: npx tsx bench/team-sync.ts   (BENCH_SYNC_EVENTS=1000000 by default; run by npm run bench)
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres } from "../test/support/postgres.js";
import { appendEvents, generateProject } from "./generate.js";

const EVENTS = Number(process.env.BENCH_SYNC_EVENTS ?? 1_000_000);
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const MAX_RSS = join(import.meta.dirname, "max-rss.cjs");
const progress = (text: string) => process.stderr.write(`${text}\n`);

interface SyncRun {
  readonly ms: number;
  readonly rssMb: number;
  readonly offered: number;
  readonly inserted: number;
}

async function sync(root: string, url: string, scratch: string): Promise<SyncRun> {
  const rssFile = join(scratch, "max-rss");
  const child = spawn(
    process.execPath,
    [
      "--require",
      MAX_RSS,
      CLI,
      "agent",
      "telemetry",
      "sync",
      "--to",
      url,
      "--repo",
      root,
      "--json",
    ],
    { env: { ...process.env, BENCH_MAX_RSS_FILE: rssFile }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const started = performance.now();
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`sync exited with ${code}`);
  const result = JSON.parse(stdout) as { offered: number; inserted: number };
  // max-rss.cjs writes "<peak RSS KiB> <CPU ms>".
  const [rssKb = Number.NaN] = (await readFile(rssFile, "utf8")).split(" ").map(Number);
  const rssMb = (rssKb * 1024) / 1e6;
  return { ms, rssMb, offered: result.offered, inserted: result.inserted };
}

const scratch = await mkdtemp(join(tmpdir(), "spec-kitty-bench-sync-"));
const server = await startPostgres();
try {
  progress(`generating ${EVENTS} events...`);
  const stats = await generateProject(scratch, { events: EVENTS, seed: 1 });
  progress("sync (cold: an empty store)...");
  const cold = await sync(scratch, server.url, scratch);
  const more = Math.round(EVENTS / 100);
  await appendEvents(scratch, more, 2);
  progress("sync after +1%...");
  const incremental = await sync(scratch, server.url, scratch);
  const row = (what: string, run: SyncRun) =>
    `| ${what} | ${run.inserted} | ${(run.ms / 1000).toFixed(1)} s | ${Math.round(run.inserted / (run.ms / 1000))} | ${run.rssMb.toFixed(0)} MB |`;
  process.stdout.write(
    [
      "",
      `Team store (PostgreSQL): sync of ${stats.events} valid events (one run each)`,
      "",
      "| measure | events stored | wall | events/s | peak RSS |",
      "|---|---:|---:|---:|---:|",
      row("sync, cold (empty store)", cold),
      row("sync after +1% (incremental)", incremental),
      "",
    ].join("\n"),
  );
  if (cold.inserted !== stats.events) {
    throw new Error(
      `the cold sync stored ${cold.inserted} events, the generator wrote ${stats.events} valid ones`,
    );
  }
} finally {
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
