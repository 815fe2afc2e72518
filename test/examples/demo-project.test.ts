import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { generateDemoProject } from "../../examples/demo-project/generate.js";
import { type Event, serializeEvent } from "../../src/events/event.js";
import { EXECUTION_FLOAT_KEYS } from "../../src/telemetry/execution-payload.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { executionPayloadProblem } from "../../src/telemetry/payload-check.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

const DEMO = join(import.meta.dirname, "..", "..", "examples", "demo-project");
const SPECS = join(DEMO, "kitty-specs");
// What the demo's .gitignore keeps out of git: a report or an emit run there may leave these.
const UNTRACKED = /\/\.execution\.events\.jsonl\.index\.json$|\.lock\//;
const EXTENSION_KEYS = [
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_source",
  "session_id",
];
const DAY_MS = 86_400_000;

async function committedSpecFiles(): Promise<string[]> {
  const entries = await readdir(SPECS, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(DEMO, join(e.parentPath, e.name)))
    .filter((path) => !UNTRACKED.test(path))
    .sort();
}

async function readDemoLogs() {
  const slugs = (await readdir(SPECS)).sort();
  return Promise.all(
    slugs.map(async (slug) => {
      const dir = join(SPECS, slug);
      const warnings: TelemetryWarning[] = [];
      const store = new SimpleJsonStore(join(dir, "execution.events.jsonl"), {
        warn: (w) => warnings.push(w),
      });
      const { events, stats } = await store.read();
      const text = await readFile(join(dir, "execution.events.jsonl"), "utf8");
      const clockFile: unknown = JSON.parse(
        await readFile(join(dir, ".telemetry-clock.json"), "utf8"),
      );
      return { slug, events, stats, warnings, lines: text.split("\n").slice(0, -1), clockFile };
    }),
  );
}

const payloadOf = (e: Event) => e.payload as Record<string, unknown>;

describe("examples/demo-project", () => {
  it("is exactly what its generator writes, no file more or less", async () => {
    const out = await tempDir();
    const { files } = await generateDemoProject(out);
    const compared = await Promise.all(
      files.map(async (file) => ({
        file,
        same:
          (await readFile(join(out, file), "utf8")) === (await readFile(join(DEMO, file), "utf8")),
      })),
    );
    expect(compared.filter((c) => !c.same).map((c) => c.file)).toEqual([]);
    expect(await committedSpecFiles()).toEqual(files.filter((f) => f.startsWith("kitty-specs/")));
  });

  it("reads with no skipped or duplicate line, and every line re-serialises byte for byte", async () => {
    const logs = await readDemoLogs();
    expect(logs.map((l) => [l.slug, l.stats.skipped, l.stats.duplicates, l.warnings])).toEqual(
      logs.map((l) => [l.slug, 0, 0, []]),
    );
    for (const log of logs) {
      expect(log.events.map((e) => serializeEvent(e, EXECUTION_FLOAT_KEYS))).toEqual(log.lines);
      expect(log.events.map(executionPayloadProblem).filter((p) => p !== null)).toEqual([]);
    }
  });

  it("numbers each feature's clocks in time order, and its clock file keeps each node's last", async () => {
    for (const log of await readDemoLogs()) {
      const times = log.events.map((e) => Date.parse(e.timestamp));
      expect(log.events.map((e) => e.lamport_clock)).toEqual(log.events.map((_, i) => i + 1));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const last = Object.fromEntries(log.events.map((e) => [e.node_id, e.lamport_clock]));
      expect(log.clockFile).toEqual(last);
    }
  });

  it("has the spread a cost report needs: features, agents, months, gaps and failures", async () => {
    const logs = await readDemoLogs();
    const events = logs.flatMap((l) => l.events);
    const payloads = events.map(payloadOf);
    const times = events.map((e) => Date.parse(e.timestamp));
    const noTokens = (p: Record<string, unknown>) =>
      p.input_tokens === null && p.output_tokens === null;
    expect(logs.length).toBeGreaterThanOrEqual(4);
    expect(events.length).toBeGreaterThanOrEqual(200);
    expect(new Set(payloads.map((p) => p.agent)).size).toBeGreaterThanOrEqual(5);
    expect((Math.max(...times) - Math.min(...times)) / DAY_MS).toBeGreaterThanOrEqual(55);
    // Only the agents that report a cost have one; the others are left to the estimate.
    expect(new Set(payloads.filter((p) => p.cost_usd !== null).map((p) => p.agent))).toEqual(
      new Set(["claude", "opencode"]),
    );
    expect(payloads.filter((p) => p.cost_usd === null && !noTokens(p)).length).toBeGreaterThan(20);
    expect(payloads.filter((p) => p.cost_usd === null && noTokens(p)).length).toBeGreaterThan(5);
    expect(payloads.filter((p) => p.model === "local/qwen3-coder-30b").length).toBeGreaterThan(0);
    const failures = payloads.filter((p) => p.success === false);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.filter((p) => p.exit_code === 0 || p.error === null)).toEqual([]);
    // As the Python CLI writes them: a cost but no cost_source, no cache or session keys.
    const olderStyle = payloads.filter(
      (p) => p.cost_usd !== null && EXTENSION_KEYS.every((k) => !(k in p)),
    );
    expect(olderStyle.length).toBeGreaterThan(0);
  });
});
