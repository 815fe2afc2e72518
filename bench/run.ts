// npm run bench: the cost report, emit and the parse floor, each as a whole `node` process, on
// generated projects of several sizes; prints one markdown table of medians and the targets.
// See bench/README.md for what is measured and how.
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { measureClaudeSessions } from "./claude-bench.js";
import {
  appendEvents,
  FEATURES_FOLDER,
  generateLog,
  generateProject,
  LOG_FILE,
  selfCheck,
} from "./generate.js";

// ---------------------------------------------------------------------------------------------
// Knobs.

function positiveIntegers(name: string, fallback: string): number[] {
  const text = process.env[name] ?? fallback;
  const values = text.split(",").map((part) => Number(part.trim().replace(/_/g, "")));
  if (values.length === 0 || values.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
    throw new Error(`${name} must be positive whole numbers joined by commas, got ${text}`);
  }
  return values;
}

const SIZES = [...new Set(positiveIntegers("BENCH_SIZES", "10000,100000,1000000"))].sort(
  (a, b) => a - b,
);
const [RUNS = 5] = positiveIntegers("BENCH_RUNS", "5");
const [FEATURES = 24] = positiveIntegers("BENCH_FEATURES", "24");
const SEED = process.env.BENCH_SEED ?? "1";
const BUILD = process.env.BENCH_BUILD !== "0";
if (RUNS < 3) throw new Error(`BENCH_RUNS must be at least 3 (medians of fewer mean little)`);
// Which parts run: the event logs' report and emit ("events"), the Claude session logs ("claude").
const PARTS = new Set((process.env.BENCH_PARTS ?? "events,claude").split(",").map((p) => p.trim()));
const [CLAUDE_BYTES = 1e9] = positiveIntegers("BENCH_CLAUDE_BYTES", "1000000000");

const REPO = join(import.meta.dirname, "..");
const CLI = join(REPO, "dist", "cli", "main.js");
const FLOOR = join(import.meta.dirname, "parse-floor.mjs");
const FIELD_FLOOR = join(import.meta.dirname, "field-scan-floor.mjs");
const MAX_RSS = join(import.meta.dirname, "max-rss.cjs");
const GROUP_BYS = ["agent", "model", "feature", "role", "wp", "agent,model"] as const;
const LARGEST = SIZES.at(-1) ?? 0;
// Issue 16's linearity row: a project of this many events beside one of LARGEST (0: none). By
// default only when the largest size is 1M (the target's size): 3M events are ~1.5 GB on disk.
const LINEAR =
  process.env.BENCH_LINEAR === undefined
    ? LARGEST === 1_000_000
      ? 3_000_000
      : 0
    : process.env.BENCH_LINEAR === "0"
      ? 0
      : (positiveIntegers("BENCH_LINEAR", "0")[0] ?? 0);

const progress = (text: string) => process.stderr.write(`${text}\n`);

// ---------------------------------------------------------------------------------------------
// Whole-process runs.

interface ProcessRun {
  readonly ms: number;
  /** Peak resident set size in KiB (getrusage, every thread of the process). */
  readonly maxRssKb: number;
  /** User + system CPU time of every thread. */
  readonly cpuMs: number;
  readonly stdout: string;
}

let runCounter = 0;

/**
 * Runs `node --require max-rss.cjs <args>`; fails unless it exits 0. With `countLines`, stdout
 * is not kept (an `events --jsonl` of 1M events is ~0.6 GB): `stdout` is its count of lines.
 */
async function runNode(
  args: readonly string[],
  scratch: string,
  countLines = false,
): Promise<ProcessRun> {
  const rssFile = join(scratch, `max-rss-${runCounter++}`);
  const child = spawn(process.execPath, ["--require", MAX_RSS, ...args], {
    env: { ...process.env, BENCH_MAX_RSS_FILE: rssFile, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const start = performance.now();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let lines = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    if (!countLines) stdout.push(chunk);
    else for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c, s) => resolve([c, s]));
    },
  );
  const ms = performance.now() - start;
  if (code !== 0) {
    const tail = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-5).join("\n");
    throw new Error(`node ${args.join(" ")} exited with ${code ?? signal}:\n${tail}`);
  }
  const [maxRssKb, cpuMs] = (await readFile(rssFile, "utf8")).split(" ").map(Number);
  await rm(rssFile, { force: true });
  const text = countLines ? String(lines) : Buffer.concat(stdout).toString("utf8");
  return { ms, maxRssKb: maxRssKb ?? Number.NaN, cpuMs: cpuMs ?? Number.NaN, stdout: text };
}

function dashboardArgs(root: string, out: string): string[] {
  return [CLI, "agent", "telemetry", "dashboard", "--repo", root, "--out", out];
}

function costArgs(root: string, groupBy = "agent"): string[] {
  return [CLI, "agent", "telemetry", "cost", "--json", "--repo", root, "--group-by", groupBy];
}

/** Checks a `cost --json` output; returns the events it counted. */
function reportedEvents(stdout: string): number {
  const groups: unknown = JSON.parse(stdout);
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new Error(`cost --json printed no groups: ${stdout.slice(0, 200)}`);
  }
  let events = 0;
  for (const group of groups) {
    const count: unknown = (group as Record<string, unknown>).event_count;
    if (typeof count !== "number") throw new Error("cost --json: a group has no event_count");
    // Grouped by model, an event of two models counts in both groups: once in all.
    const shared: unknown = (group as Record<string, unknown>).shared_event_count;
    events += count - (typeof shared === "number" ? shared : 0);
  }
  return events;
}

/** Correctness notes (a report that counts wrong would be measured fast for nothing). */
const checks = new Map<string, string>();

function expectEvents(what: string, stdout: string, expected: number): void {
  const got = reportedEvents(stdout);
  if (got !== expected && !checks.has(what)) {
    checks.set(what, `${what}: the report counted ${got} events, the generator wrote ${expected}`);
    progress(`  MISMATCH: ${checks.get(what)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

interface Sample {
  readonly ms: number[];
  readonly rssKb: number[];
  readonly cpuMs: number[];
}

const sample = (): Sample => ({ ms: [], rssKb: [], cpuMs: [] });

function record(s: Sample, run: ProcessRun): void {
  s.ms.push(run.ms);
  s.rssKb.push(run.maxRssKb);
  s.cpuMs.push(run.cpuMs);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** Decimal megabytes of a KiB figure. */
const mb = (kb: number) => (kb * 1024) / 1e6;

function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return n.toLocaleString("en-US");
}

const fixed = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// One size: generate, measure, clean up.

interface SizeResult {
  readonly size: number;
  readonly floor: Sample;
  readonly fieldFloor: Sample;
  readonly cold: Sample;
  readonly warm: Sample;
  /** `--version`, interleaved with the warm report: the price of starting the CLI at all. */
  readonly version: Sample;
  readonly warmAppended: Sample;
  /** Cold runs of the other --group-by keys (largest size only). */
  readonly groupBys: Map<string, Sample>;
  /** Cold dashboards interleaved with cold reports, and the page's size (largest size only). */
  readonly dashboard?: { readonly cold: Sample; readonly report: Sample; readonly bytes: number };
  /** `events` runs and the cold report interleaved with them (largest size only). */
  readonly events?: EventsResult;
  readonly emit?: EmitResult;
}

interface EventsResult {
  readonly cold: Sample;
  readonly limit: Sample;
  readonly jsonl: Sample;
}

interface EmitResult {
  readonly empty: Sample;
  readonly largestFeature: Sample;
  readonly largestFeatureEvents: number;
  readonly bigLog: Sample;
  readonly bigLogEvents: number;
  /** The first emit into the largest feature, which builds its index (one run). */
  readonly firstIntoLargest: number;
  /** First emits into the big log, its index deleted before each (issue 16). */
  readonly firstIntoBig: Sample;
}

const liveRoots = new Set<string>();
// Interrupted: the temporary projects (up to ~1 GB at 1M events) go too.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    for (const root of liveRoots) rmSync(root, { recursive: true, force: true });
    process.exit(code);
  });
}

async function measureSize(size: number): Promise<SizeResult> {
  const label = sizeLabel(size);
  const root = await mkdtemp(join(tmpdir(), `spec-kitty-bench-${label}-`));
  liveRoots.add(root);
  try {
    const scratch = join(root, ".bench");
    const cache = join(root, ".kittify", "cache");
    const dropCache = () => rm(cache, { recursive: true, force: true });
    const t = performance.now();
    const project = await generateProject(root, { events: size, features: FEATURES, seed: SEED });
    await mkdir(scratch, { recursive: true });
    progress(
      `[${label}] generated ${size} events over ${project.features.length} features in ${seconds(performance.now() - t)} ` +
        `(${project.badLines} bad lines, ${project.invalidEvents} invalid events, ${project.duplicates} duplicates)`,
    );
    const files = project.features.map((f) => f.path);
    const jsonLines = project.events + project.invalidEvents + project.duplicates;
    let expected = project.events;

    const floorRun = async () => {
      const run = await runNode([FLOOR, ...files], scratch);
      const parsed = Number(run.stdout.trim());
      if (parsed !== jsonLines) {
        throw new Error(`parse floor parsed ${parsed} lines, the generator wrote ${jsonLines}`);
      }
      return run;
    };
    const costRun = async (what: string, groupBy?: string) => {
      const run = await runNode(costArgs(root, groupBy), scratch);
      expectEvents(`${what} at ${label}`, run.stdout, expected);
      return run;
    };

    // The field-scan floor must count and sum like the report, or it is no floor.
    const fieldFloorRun = async (report: string) => {
      const run = await runNode([FIELD_FLOOR, ...files], scratch);
      checkFieldFloor(label, run.stdout, report);
      return run;
    };

    // One unmeasured run of each, so that all start from the same warm page cache.
    await floorRun();
    await dropCache();
    const firstReport = (await costRun("cold report")).stdout;
    await fieldFloorRun(firstReport);

    // The floor and the cold report interleaved, so that machine noise falls on both alike.
    const floor = sample();
    const fieldFloor = sample();
    const cold = sample();
    for (let i = 0; i < RUNS; i++) {
      progress(`[${label}] floors and cold report, run ${i + 1}/${RUNS}`);
      record(floor, await floorRun());
      record(fieldFloor, await fieldFloorRun(firstReport));
      await dropCache();
      record(cold, await costRun("cold report"));
    }

    // Right after a run: whatever the last cold run left in .kittify/cache is kept.
    const warm = sample();
    const version = sample();
    for (let i = 0; i < RUNS; i++) {
      progress(`[${label}] warm report and --version, run ${i + 1}/${RUNS}`);
      record(warm, await costRun("warm report"));
      record(version, await runNode([CLI, "--version"], scratch));
    }

    const groupBys = new Map<string, Sample>();
    if (size === LARGEST) {
      for (const key of GROUP_BYS) if (key !== "agent") groupBys.set(key, sample());
      for (let i = 0; i < RUNS; i++) {
        progress(`[${label}] cold report per --group-by, run ${i + 1}/${RUNS}`);
        for (const [key, s] of groupBys) {
          await dropCache();
          record(s, await costRun(`cold report --group-by ${key}`, key));
        }
      }
    }

    // The dashboard against the cold report, both without .kittify/cache, interleaved.
    let dashboard: SizeResult["dashboard"];
    if (size === LARGEST) {
      const out = join(scratch, "dashboard.html");
      const d = { cold: sample(), report: sample(), bytes: 0 };
      for (let i = 0; i < RUNS; i++) {
        progress(`[${label}] cold dashboard and cold report, run ${i + 1}/${RUNS}`);
        await dropCache();
        record(d.cold, await runNode(dashboardArgs(root, out), scratch));
        await dropCache();
        record(d.report, await costRun("cold report"));
      }
      dashboard = { ...d, bytes: (await stat(out)).size };
    }
    const events = size === LARGEST ? await measureEvents(root, scratch, expected) : undefined;

    // Each run: 1% more events appended, then the report with the previous run's cache.
    const appended = Math.max(1, Math.round(size / 100));
    await costRun("warm report");
    const warmAppended = sample();
    for (let i = 0; i < RUNS; i++) {
      progress(`[${label}] warm report after appending ${appended} events, run ${i + 1}/${RUNS}`);
      const added = await appendEvents(root, appended, `${SEED}:${i}`);
      expected += added.events;
      record(warmAppended, await costRun("warm report after +1%"));
    }

    const emit = size === LARGEST ? await measureEmit(root, scratch, project.features) : undefined;
    return {
      size,
      floor,
      fieldFloor,
      cold,
      warm,
      version,
      warmAppended,
      groupBys,
      ...(dashboard && { dashboard }),
      ...(events && { events }),
      ...(emit && { emit }),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
    liveRoots.delete(root);
  }
}

interface LinearResult {
  readonly base: Sample;
  readonly baseSize: number;
  readonly big: Sample;
  readonly bigSize: number;
}

/**
 * Issue 16's linearity check: cold reports of a LARGEST-event and a LINEAR-event project (the
 * same generator and seed), interleaved, so that the per-event cost of both is measured under
 * the same load. Both projects are generated for this and removed afterwards.
 */
async function measureLinear(): Promise<LinearResult> {
  const roots: string[] = [];
  try {
    const made: { root: string; events: number }[] = [];
    for (const size of [LARGEST, LINEAR]) {
      const root = await mkdtemp(join(tmpdir(), `spec-kitty-bench-linear-${sizeLabel(size)}-`));
      roots.push(root);
      liveRoots.add(root);
      const t = performance.now();
      const project = await generateProject(root, { events: size, features: FEATURES, seed: SEED });
      progress(`[linear] generated ${size} events in ${seconds(performance.now() - t)}`);
      await mkdir(join(root, ".bench"), { recursive: true });
      made.push({ root, events: project.events });
    }
    const coldRun = async ({ root, events }: { root: string; events: number }) => {
      await rm(join(root, ".kittify", "cache"), { recursive: true, force: true });
      const run = await runNode(costArgs(root), join(root, ".bench"));
      expectEvents(`cold report at ${sizeLabel(events)} (linearity)`, run.stdout, events);
      return run;
    };
    const [base, big] = made as [(typeof made)[0], (typeof made)[0]];
    await coldRun(base);
    await coldRun(big);
    const result = { base: sample(), baseSize: LARGEST, big: sample(), bigSize: LINEAR };
    for (let i = 0; i < RUNS; i++) {
      progress(
        `[linear] cold report at ${sizeLabel(LARGEST)} and ${sizeLabel(LINEAR)}, run ${i + 1}/${RUNS}`,
      );
      record(result.base, await coldRun(base));
      record(result.big, await coldRun(big));
    }
    return result;
  } finally {
    for (const root of roots) {
      await rm(root, { recursive: true, force: true });
      liveRoots.delete(root);
    }
  }
}

/**
 * `events --limit 10` and `events --jsonl` (its lines counted, not kept) beside the cold
 * report, round-robin, so that noise falls on all three alike.
 */
async function measureEvents(
  root: string,
  scratch: string,
  expected: number,
): Promise<EventsResult> {
  const label = sizeLabel(LARGEST);
  const eventsArgs = (...flags: string[]) => [
    CLI,
    "agent",
    "telemetry",
    "events",
    "--repo",
    root,
    ...flags,
  ];
  const limitRun = async () => {
    const run = await runNode(eventsArgs("--limit", "10"), scratch);
    // The table: a top border, a head, a rule, 10 rows and a bottom border.
    const rows = run.stdout.split("\n").filter((line) => line.startsWith("│")).length;
    if (rows !== 11) throw new Error(`events --limit 10 printed ${rows - 1} rows, not 10`);
    return run;
  };
  const jsonlRun = async () => {
    const run = await runNode(eventsArgs("--jsonl"), scratch, true);
    if (Number(run.stdout) !== expected && !checks.has("events --jsonl")) {
      checks.set(
        "events --jsonl",
        `events --jsonl at ${label}: ${run.stdout} lines, the generator wrote ${expected} events`,
      );
      progress(`  MISMATCH: ${checks.get("events --jsonl")}`);
    }
    return run;
  };
  await limitRun();
  const result = { cold: sample(), limit: sample(), jsonl: sample() };
  for (let i = 0; i < RUNS; i++) {
    progress(`[${label}] cold report, events --limit 10, events --jsonl, run ${i + 1}/${RUNS}`);
    await rm(join(root, ".kittify", "cache"), { recursive: true, force: true });
    const cold = await runNode(costArgs(root), scratch);
    expectEvents(`cold report beside events at ${label}`, cold.stdout, expected);
    record(result.cold, cold);
    record(result.limit, await limitRun());
    record(result.jsonl, await jsonlRun());
  }
  return result;
}

function emitArgs(root: string, feature: string): string[] {
  return [
    CLI,
    "agent",
    "telemetry",
    "emit",
    "--repo",
    root,
    "--feature",
    feature,
    "--role",
    "implementer",
    "--agent",
    "claude",
    "--model",
    "claude-sonnet-4-5",
    "--input-tokens",
    "1000",
    "--output-tokens",
    "100",
    "--json",
  ];
}

async function emitRun(root: string, feature: string, scratch: string): Promise<ProcessRun> {
  const run = await runNode(emitArgs(root, feature), scratch);
  const result: unknown = JSON.parse(run.stdout);
  if ((result as Record<string, unknown> | null)?.result !== "success") {
    throw new Error(`emit into ${feature} did not succeed: ${run.stdout.trim()}`);
  }
  return run;
}

/**
 * Emit into a fresh empty feature, into the project's largest feature, and into one log of as
 * many events as the whole project: round-robin, so that noise falls on all three alike.
 */
async function measureEmit(
  root: string,
  scratch: string,
  features: readonly { readonly slug: string; readonly events: number }[],
): Promise<EmitResult> {
  const largest = [...features].sort((a, b) => b.events - a.events)[0];
  if (!largest) throw new Error("the project has no features");
  const label = sizeLabel(LARGEST);
  // emit takes lower-case slugs, a number once (a second 901-... would be refused as 901).
  const bigSlug = `999-emit-${label.toLowerCase()}`;
  const t = performance.now();
  await generateLog(
    join(root, FEATURES_FOLDER, bigSlug, "execution.events.jsonl"),
    LARGEST,
    bigSlug,
  );
  progress(
    `[${label}] generated a ${LARGEST}-event log for emit in ${seconds(performance.now() - t)}`,
  );

  // The first emit into a big log builds its index: a one-off, shown apart.
  const first = await emitRun(root, largest.slug, scratch);
  // The first emit into the big log, its index deleted before each run (issue 16).
  const bigIndex = join(root, FEATURES_FOLDER, bigSlug, `.${LOG_FILE}.index.json`);
  const firstIntoBig = sample();
  for (let i = 0; i < RUNS; i++) {
    progress(`[${label}] first emit into the ${label}-event log, run ${i + 1}/${RUNS}`);
    await rm(bigIndex, { force: true });
    record(firstIntoBig, await emitRun(root, bigSlug, scratch));
  }
  await emitRun(root, "900-emit-warmup", scratch);

  const empty = sample();
  const largestFeature = sample();
  const bigLog = sample();
  const runs = RUNS * 3;
  for (let i = 0; i < runs; i++) {
    if (i % RUNS === 0)
      progress(`[${label}] emit, runs ${i + 1}-${Math.min(i + RUNS, runs)}/${runs}`);
    // A number of its own each (901, 902, ...): emit refuses a new feature that shares one.
    record(empty, await emitRun(root, `${901 + i}-emit-empty`, scratch));
    record(largestFeature, await emitRun(root, largest.slug, scratch));
    record(bigLog, await emitRun(root, bigSlug, scratch));
  }
  return {
    empty,
    largestFeature,
    largestFeatureEvents: largest.events,
    bigLog,
    bigLogEvents: LARGEST,
    firstIntoLargest: first.ms,
    firstIntoBig,
  };
}

// ---------------------------------------------------------------------------------------------
// The report.

/** The field-scan floor's counts and token sums against the report's totals (grouped by agent). */
function checkFieldFloor(label: string, floorOut: string, reportOut: string): void {
  const floor = JSON.parse(floorOut) as Record<string, number>;
  const groups = JSON.parse(reportOut) as Record<string, number>[];
  const sum = (key: string) => groups.reduce((total, g) => total + (g[key] ?? 0), 0);
  const report: Record<string, number> = {
    events: reportedEvents(reportOut),
    input_tokens: sum("total_input_tokens"),
    output_tokens: sum("total_output_tokens"),
    cache_read_tokens: sum("total_cache_read_tokens"),
    cache_write_tokens: sum("total_cache_write_tokens"),
  };
  const what = `field-scan floor at ${label}`;
  const differ = Object.keys(report).filter((k) => floor[k] !== report[k]);
  if (differ.length > 0 && !checks.has(what)) {
    const detail = differ.map((k) => `${k} ${floor[k]} vs ${report[k]}`).join(", ");
    checks.set(what, `${what}: differs from the report (${detail})`);
    progress(`  MISMATCH: ${checks.get(what)}`);
  }
}

function report(
  results: readonly SizeResult[],
  linear: LinearResult | undefined,
  totalMs: number,
): string {
  const rows: string[][] = [];
  const add = (measure: string, size: string, s: Sample, withRss: boolean) =>
    rows.push([
      measure,
      size,
      fixed(median(s.ms)),
      fixed(median(s.cpuMs)),
      withRss ? fixed(mb(median(s.rssKb))) : "",
      String(s.ms.length),
    ]);
  for (const r of results) {
    const size = sizeLabel(r.size);
    add("parse floor (node bench/parse-floor.mjs)", size, r.floor, true);
    add("field-scan floor (node bench/field-scan-floor.mjs)", size, r.fieldFloor, true);
    add("cost --json, cold (no .kittify/cache)", size, r.cold, true);
    add("cost --json, warm (right after a run)", size, r.warm, true);
    add("--version (beside the warm report)", size, r.version, true);
    add("cost --json, warm after appending 1%", size, r.warmAppended, true);
    for (const [key, s] of r.groupBys) add(`cost --json --group-by ${key}, cold`, size, s, true);
    if (r.dashboard) {
      const kb = Math.ceil(r.dashboard.bytes / 1024).toLocaleString("en-US");
      add(`dashboard, cold (its page: ${kb} KB)`, size, r.dashboard.cold, true);
      add("cost --json, cold (beside the dashboard)", size, r.dashboard.report, true);
    }
  }
  const events = results.find((r) => r.events)?.events;
  if (events) {
    const size = sizeLabel(LARGEST);
    add("cost --json, cold, beside the events runs", size, events.cold, true);
    add("events --limit 10", size, events.limit, true);
    add("events --jsonl (every event, to a pipe)", size, events.jsonl, true);
  }
  if (linear) {
    for (const [s, n] of [
      [linear.base, linear.baseSize],
      [linear.big, linear.bigSize],
    ] as const)
      add("cost --json, cold (linearity pair)", sizeLabel(n), s, true);
  }
  const emit = results.find((r) => r.emit)?.emit;
  if (emit) {
    const size = sizeLabel(LARGEST);
    add("emit into an empty feature", size, emit.empty, true);
    add(
      `emit into the largest feature (${emit.largestFeatureEvents.toLocaleString("en-US")} events)`,
      size,
      emit.largestFeature,
      true,
    );
    add(
      `emit into a ${emit.bigLogEvents.toLocaleString("en-US")}-event log`,
      size,
      emit.bigLog,
      true,
    );
    rows.push([
      "first emit into the largest feature (builds its index; once)",
      size,
      fixed(emit.firstIntoLargest),
      "",
      "",
      "1",
    ]);
    add(
      `first emit into a ${emit.bigLogEvents.toLocaleString("en-US")}-event log without an index (builds it)`,
      size,
      emit.firstIntoBig,
      true,
    );
  }

  const ratioOf = (a: Sample, b: Sample) => median(a.ms) / median(b.ms);
  const cpuRatioOf = (a: Sample, b: Sample) => median(a.cpuMs) / median(b.cpuMs);
  const ratioRows = [
    ["cold report / parse floor", ...results.map((r) => `${fixed(ratioOf(r.cold, r.floor), 2)}x`)],
    [
      "cold report / field-scan floor, CPU",
      ...results.map((r) => `${fixed(cpuRatioOf(r.cold, r.fieldFloor), 2)}x`),
    ],
    [
      "warm report / cold report",
      ...results.map((r) => `${fixed(100 * ratioOf(r.warm, r.cold))}%`),
    ],
    [
      "warm after +1% / cold report",
      ...results.map((r) => `${fixed(100 * ratioOf(r.warmAppended, r.cold))}%`),
    ],
  ];

  const largest = results.at(-1);
  const targets: string[][] = [];
  if (largest) {
    const at = sizeLabel(largest.size);
    const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
    const coldRatio = ratioOf(largest.cold, largest.floor);
    targets.push([
      `cold report / parse floor at ${at} (wall; issue 16: 2x faster)`,
      `${fixed(coldRatio, 2)}x`,
      "<= 0.50x",
      verdict(coldRatio <= 0.5),
    ]);
    const cpuRatio = cpuRatioOf(largest.cold, largest.fieldFloor);
    targets.push([
      `cold report CPU / field-scan floor CPU at ${at}`,
      `${fixed(cpuRatio, 2)}x`,
      "<= 1.50x",
      verdict(cpuRatio <= 1.5),
    ]);
    const warmRatio = ratioOf(largest.warmAppended, largest.cold);
    targets.push([
      `warm report after +1% / cold report at ${at}`,
      `${fixed(100 * warmRatio)}%`,
      "<= 15%",
      verdict(warmRatio <= 0.15),
    ]);
    const warmMs = median(largest.warm.ms);
    targets.push([
      `warm report, nothing new, at ${at} (wall)`,
      `${fixed(warmMs)} ms`,
      "< 300 ms",
      verdict(warmMs < 300),
    ]);
    const smallest = results.find((r) => r.size === 10_000) ?? results[0];
    if (smallest) {
      const startRatio = ratioOf(smallest.warm, smallest.version);
      targets.push([
        `warm report, nothing new, at ${sizeLabel(smallest.size)} / --version`,
        `${fixed(startRatio, 2)}x`,
        "<= 1.50x",
        verdict(startRatio <= 1.5),
      ]);
    }
    const rss: [string, number][] = [["agent", median(largest.cold.rssKb)]];
    for (const [key, s] of largest.groupBys) rss.push([key, median(s.rssKb)]);
    const [worstKey, worstKb] = rss.reduce((a, b) => (b[1] > a[1] ? b : a));
    targets.push([
      `peak RSS of the cold report at ${at}, worst of ${rss.length} --group-by (${worstKey})`,
      `${fixed(mb(worstKb), 2)} MB`,
      "< 120 MB",
      verdict(mb(worstKb) < 120),
    ]);
    const warmRss = mb(median(largest.warm.rssKb));
    targets.push([
      `peak RSS of the warm report at ${at}`,
      `${fixed(warmRss)} MB`,
      "< 100 MB",
      verdict(warmRss < 100),
    ]);
    if (linear) {
      // Per event, the bigger project against the smaller (CPU: the stable figure).
      const perEvent = (s: Sample, n: number) => median(s.cpuMs) / n;
      const growth = perEvent(linear.big, linear.bigSize) / perEvent(linear.base, linear.baseSize);
      targets.push([
        `cold report CPU per event, ${sizeLabel(linear.bigSize)} / ${sizeLabel(linear.baseSize)} (linear growth)`,
        `${fixed(growth, 2)}x`,
        "<= 1.10x",
        verdict(growth <= 1.1),
      ]);
    }
    if (largest.dashboard) {
      const dashRatio = ratioOf(largest.dashboard.cold, largest.dashboard.report);
      targets.push([
        `cold dashboard / cold report at ${at}`,
        `${fixed(dashRatio, 2)}x`,
        "<= 1.20x",
        verdict(dashRatio <= 1.2),
      ]);
    }
    if (events) {
      const limitRatio = ratioOf(events.limit, events.cold);
      targets.push([
        `events --limit 10 / cold report at ${sizeLabel(LARGEST)}`,
        `${fixed(limitRatio, 2)}x`,
        "<= 1.50x",
        verdict(limitRatio <= 1.5),
      ]);
      const limitMb = mb(median(events.limit.rssKb));
      targets.push([
        `peak RSS of events --limit 10 at ${sizeLabel(LARGEST)}`,
        `${fixed(limitMb)} MB`,
        "< 150 MB",
        verdict(limitMb < 150),
      ]);
    }
    if (emit) {
      const emitRatio = ratioOf(emit.bigLog, emit.empty);
      targets.push([
        `emit into a ${sizeLabel(emit.bigLogEvents)}-event log / into an empty log`,
        `${fixed(emitRatio, 2)}x`,
        "<= 1.50x",
        verdict(emitRatio <= 1.5),
      ]);
      const firstMs = median(emit.firstIntoBig.ms);
      const firstMb = mb(median(emit.firstIntoBig.rssKb));
      targets.push([
        `first emit into a ${sizeLabel(emit.bigLogEvents)}-event log without an index`,
        `${fixed(firstMs)} ms (CPU ${fixed(median(emit.firstIntoBig.cpuMs))} ms), ${fixed(firstMb)} MB`,
        "< 1500 ms, < 120 MB",
        verdict(firstMs < 1500 && firstMb < 120),
      ]);
    }
  }

  const env = `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? "?"}), ${new Date().toISOString().slice(0, 10)}`;
  const knobs = `BENCH_SIZES=${SIZES.join(",")} BENCH_RUNS=${RUNS} BENCH_FEATURES=${FEATURES} BENCH_SEED=${SEED}`;
  const out = [
    `Measured ${env}; ${knobs}. Every row is a whole \`node\` process; medians.`,
    "",
    markdownTable(["measure", "events", "median ms", "CPU ms", "peak RSS MB", "runs"], rows),
    "",
    markdownTable(["ratio", ...results.map((r) => sizeLabel(r.size))], ratioRows),
    "",
  ];
  if (emit) {
    out.push(
      `emit: largest feature / empty = ${fixed(ratioOf(emit.largestFeature, emit.empty), 2)}x; ` +
        `${sizeLabel(emit.bigLogEvents)}-event log / empty = ${fixed(ratioOf(emit.bigLog, emit.empty), 2)}x`,
      "",
    );
  }
  out.push(markdownTable(["target", "measured", "limit", "result"], targets), "");
  if (largest && largest.size !== 1_000_000) {
    out.push(
      `(The targets are defined at 1M events; this run's largest size is ${sizeLabel(largest.size)}.)`,
      "",
    );
  }
  out.push(
    checks.size === 0
      ? "Checks: every run exited 0 with valid JSON; every report counted the distinct valid events the generator wrote."
      : `Checks: every run exited 0 with valid JSON, but:\n${[...checks.values()].map((c) => `- ${c}`).join("\n")}`,
    "",
    `Whole bench run: ${fixed(totalMs / 60_000)} min (generation included).`,
  );
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
if (BUILD) {
  progress("building the CLI (npm run build; BENCH_BUILD=0 skips)...");
  const build = spawnSync("npm", ["run", "build"], { cwd: REPO, stdio: ["ignore", 2, 2] });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.signal})`);
}
selfCheck();
progress("generator self-check: its lines are byte-identical to serializeEvent's");
const results: SizeResult[] = [];
if (PARTS.has("events")) for (const size of SIZES) results.push(await measureSize(size));
const claude = PARTS.has("claude")
  ? await measureClaudeSessions({
      bytes: CLAUDE_BYTES,
      seed: SEED,
      runs: RUNS,
      cli: CLI,
      runNode,
      progress,
    })
  : undefined;
const linear = PARTS.has("events") && LINEAR > 0 ? await measureLinear() : undefined;
if (results.length > 0) process.stdout.write(report(results, linear, performance.now() - started));
if (claude) process.stdout.write(claudeReport(claude));

/** The Claude session logs' table: each measure's median, and its ratio to the read floor. */
function claudeReport(r: Awaited<ReturnType<typeof measureClaudeSessions>>): string {
  const [floor] = r.rows;
  const floorMs = floor ? median(floor[1].map((run) => run.ms)) : Number.NaN;
  const rows = r.rows.map(([name, runs]) => {
    const ms = median(runs.map((run) => run.ms));
    return [
      name,
      fixed(ms),
      fixed(mb(median(runs.map((run) => run.maxRssKb)))),
      `${fixed(ms / floorMs, 2)}x`,
      String(runs.length),
    ];
  });
  const d = r.data;
  return [
    "",
    `Claude session logs: ${(d.bytes / 1e6).toFixed(0)} MB, ${d.files.length} files (${d.sessions} sessions, ${d.subagentFiles} sub-agent files, ${d.forkedCopies} forked copies), ${d.lines.toLocaleString("en-US")} lines, ${d.calls.toLocaleString("en-US")} distinct calls; BENCH_CLAUDE_BYTES=${CLAUDE_BYTES} BENCH_SEED=${SEED}.`,
    "",
    markdownTable(["measure", "median ms", "peak RSS MB", "/ read floor", "runs"], rows),
    "",
    r.notes.length === 0
      ? "Checks: the reader found every distinct call and exactly the generator's tokens; the floors read every byte and line."
      : `Checks:\n${r.notes.map((n) => `- ${n}`).join("\n")}`,
    "",
  ].join("\n");
}
