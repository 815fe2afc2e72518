import { chmod, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import {
  type EmitOptions,
  emitExecutionEvent,
  emitExecutionEvents,
} from "../../src/telemetry/emit.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { openToOthers, runEmitWorker } from "../support/run-worker.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";

async function feature() {
  const dir = join(await tempDir(), "kitty-specs", "043-telemetry-foundation");
  const warnings: TelemetryWarning[] = [];
  const emit = (wpId: string, options: EmitOptions = {}) =>
    emitExecutionEvent(dir, "043-telemetry-foundation", wpId, "claude", "implementer", {
      warn: (w) => warnings.push(w),
      ...options,
    });
  const log = () => readFile(join(dir, "execution.events.jsonl"), "utf8");
  const clockFile = () => readFile(join(dir, ".telemetry-clock.json"), "utf8");
  return { dir, warnings, emit, log, clockFile };
}

describe("emitExecutionEvent", () => {
  it("writes the reference payload, the envelope and the clock, and returns the event", async () => {
    const { dir, emit, log, warnings } = await feature();
    const event = await emit("WP01", {
      model: "claude-opus-4-6",
      inputTokens: 1200,
      outputTokens: 340,
      costUsd: 0.25,
      durationMs: 91234.6,
      nodeId: "orchestrator",
    });
    const [line] = (await log()).split("\n");
    expect({
      event,
      read: (await new SimpleJsonStore(join(dir, "execution.events.jsonl")).read()).events,
    }).toEqual({
      event: {
        event_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        event_type: "ExecutionEvent",
        aggregate_id: "043-telemetry-foundation",
        node_id: "orchestrator:WP01",
        lamport_clock: 1,
        causation_id: null,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/),
        payload: {
          wp_id: "WP01",
          agent: "claude",
          role: "implementer",
          model: "claude-opus-4-6",
          input_tokens: 1200,
          output_tokens: 340,
          cost_usd: 0.25,
          cost_source: "reported",
          duration_ms: 91235,
          success: true,
          error: null,
          exit_code: 0,
          source: "emit",
        },
      },
      read: [event],
    });
    expect({ line: line?.includes('"cost_usd": 0.25,'), warnings }).toEqual({
      line: true,
      warnings: [],
    });
  });

  it("writes nulls for unknown reference fields and extensions only when known", async () => {
    const { emit } = await feature();
    const bare = await emit("WP01");
    const full = await emit("WP01", {
      cacheReadTokens: 9000,
      cacheWriteTokens: 800,
      reasoningTokens: 120,
      costUsd: 0,
      costSource: "estimated",
      sessionId: "sess-1",
      success: false,
      error: "rate limited",
      exitCode: 1,
    });
    expect([bare?.payload, full?.payload]).toEqual([
      {
        wp_id: "WP01",
        agent: "claude",
        role: "implementer",
        model: null,
        input_tokens: null,
        output_tokens: null,
        cost_usd: null,
        duration_ms: 0,
        success: true,
        error: null,
        exit_code: 0,
        source: "emit",
      },
      expect.objectContaining({
        cache_read_tokens: 9000,
        cache_write_tokens: 800,
        reasoning_tokens: 120,
        cost_usd: 0,
        cost_source: "estimated",
        session_id: "sess-1",
        success: false,
        error: "rate limited",
        exit_code: 1,
      }),
    ]);
  });

  it("takes a given event id and timestamp, and saves an id only once", async () => {
    const { emit, log, warnings } = await feature();
    const fixed = {
      eventId: "6F9619FF-8B86-5011-B42D-00C04FC964FF",
      timestamp: "2026-03-01T10:00:00Z",
      source: "import",
      attribution: "worktree",
    } as const;
    const first = await emit("WP01", fixed);
    const second = await emit("WP01", { ...fixed, inputTokens: 5 });
    const lines = (await log()).trim().split("\n");
    expect({
      id: first?.event_id,
      timestamp: first?.timestamp,
      attribution: first?.payload.attribution,
      second,
      lines: lines.length,
      warnings,
    }).toEqual({
      id: "6f9619ff-8b86-5011-b42d-00c04fc964ff",
      timestamp: "2026-03-01T10:00:00+00:00",
      attribution: "worktree",
      second: undefined,
      lines: 1,
      warnings: [],
    });
  });

  it("records a batch in order under increasing clocks, skipping stored ids, failing bad ones alone", async () => {
    const { dir, emit, log, warnings } = await feature();
    const id = (n: number) => `6f9619ff-8b86-5011-b42d-00c04fc964f${n}`;
    await emit("WP01", { eventId: id(1) });
    const invocation = (wpId: string, options: EmitOptions) =>
      ({ wpId, agent: "claude", role: "implementer", options }) as const;
    const results = await emitExecutionEvents(
      dir,
      "043-telemetry-foundation",
      [
        invocation("WP01", { eventId: id(1) }),
        invocation("WP02", { eventId: id(2), nodeId: "import:claude", source: "import" }),
        invocation("WP03", { inputTokens: -1 }),
        invocation("WP02", { eventId: id(3), nodeId: "import:claude", source: "import" }),
      ],
      (w) => warnings.push(w),
    );
    const lines = (await log())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Event);
    const clocks = JSON.parse(await readFile(join(dir, ".telemetry-clock.json"), "utf8"));
    expect({
      results: results.map((r) =>
        r === undefined ? "failed" : r === null ? "present" : r.event_id,
      ),
      lines: lines.map((e) => [e.event_id, e.lamport_clock]),
      clocks,
      warnings: warnings.map((w) => w.code),
    }).toEqual({
      results: ["present", id(2), "failed", id(3)],
      lines: [
        [id(1), 1],
        [id(2), 3],
        [id(3), 4],
      ],
      clocks: { "cli:WP01": 1, "import:claude:WP02": 4 },
      warnings: ["EMIT_FAILED"],
    });
  });

  it("writes a zero cost as Python's 0.0", async () => {
    const { emit, log } = await feature();
    await emit("WP01", { costUsd: 0 });
    expect(await log()).toContain('"cost_usd": 0.0,');
  });

  it("numbers events in emission order across work packages, and keeps the clock file", async () => {
    const { emit, clockFile } = await feature();
    const clocks = [];
    for (const wp of ["WP01", "WP02", "WP01", "WP03"]) clocks.push((await emit(wp))?.lamport_clock);
    expect({ clocks, file: await clockFile() }).toEqual({
      clocks: [1, 2, 3, 4],
      file: '{"cli:WP01": 3, "cli:WP02": 2, "cli:WP03": 4}',
    });
  });

  it.each([
    ["missing", [], []],
    ["corrupt", [["{garbage"]], ["CLOCK_FILE_CORRUPT"]],
    ["behind the log", [['{"cli:WP01": 1}']], []],
  ])("continues from the log when the clock file is %s", async (_, contents, expectedWarnings) => {
    const { dir, emit, warnings } = await feature();
    for (let i = 0; i < 5; i++) await emit("WP01");
    await rm(join(dir, ".telemetry-clock.json"));
    await rm(join(dir, ".execution.events.jsonl.index.json"));
    for (const [content] of contents)
      await writeFile(join(dir, ".telemetry-clock.json"), content as string);
    const next = await emit("WP02");
    expect({ clock: next?.lamport_clock, warnings: warnings.map((w) => w.code) }).toEqual({
      clock: 6,
      warnings: expectedWarnings,
    });
  });

  it("saves the event when the clock file cannot be written, and says so", async () => {
    const { dir, emit, warnings } = await feature();
    await mkdir(join(dir, ".telemetry-clock.json"), { recursive: true });
    const event = await emit("WP01");
    const { events } = await new SimpleJsonStore(join(dir, "execution.events.jsonl")).read();
    expect({ read: events, codes: warnings.map((w) => w.code) }).toEqual({
      read: [event],
      codes: ["CLOCK_FILE_CORRUPT", "EMIT_INCOMPLETE"],
    });
  });

  it("continues above the Python spec-kitty's clocks in a real feature", async () => {
    const project = await copyOfFixtureProject();
    const dir = join(project, "kitty-specs", "053-doctrine-governance-layer-refactor");
    const event = await emitExecutionEvent(
      dir,
      "053-doctrine-governance-layer-refactor",
      "WP05",
      "codex",
      "reviewer",
    );
    const { events, stats } = await new SimpleJsonStore(join(dir, "execution.events.jsonl")).read();
    expect({ clock: event?.lamport_clock, count: events.length, skipped: stats.skipped }).toEqual({
      clock: 4,
      count: 15,
      skipped: 0,
    });
  });

  it.each([
    ["an unknown role", { role: "tester" }, /role must be one of/],
    ["negative tokens", { inputTokens: -1 }, /inputTokens must be a non-negative integer/],
    ["fractional tokens", { outputTokens: 1.5 }, /outputTokens/],
    ["a NaN cost", { costUsd: Number.NaN }, /costUsd/],
    ["a negative duration", { durationMs: -3 }, /durationMs/],
    ["an empty work package", { wpId: "" }, /wpId must be a non-empty string/],
    ["a bad causation id", { causationId: "nope" }, /causationId/],
    ["a bad event id", { eventId: "nope" }, /eventId/],
    ["a bad timestamp", { timestamp: "yesterday-ish" }, /timestamp/],
    ["an unknown attribution", { attribution: "guess" }, /attribution must be one of/],
  ])("refuses %s with one warning, writes nothing, and does not throw", async (_, bad, message) => {
    const { dir, warnings } = await feature();
    const {
      role = "implementer",
      wpId = "WP01",
      ...options
    } = bad as EmitOptions & { role?: string; wpId?: string };
    const result = await emitExecutionEvent(dir, "043-x", wpId, "claude", role as "implementer", {
      ...options,
      warn: (w) => warnings.push(w),
    });
    const written = await readFile(join(dir, "execution.events.jsonl"), "utf8").catch(() => "");
    expect({ result, written, warnings }).toEqual({
      result: undefined,
      written: "",
      warnings: [
        expect.objectContaining({ code: "EMIT_FAILED", message: expect.stringMatching(message) }),
      ],
    });
  });

  it("into a read-only folder: returns nothing, warns once, does not throw", async () => {
    const root = await tempDir();
    const dir = join(root, "043-telemetry-foundation");
    await mkdir(dir);
    await openToOthers(root);
    await chmod(dir, 0o555);
    const result = await runEmitWorker([dir, "043-telemetry-foundation", "WP01", "1"], {
      unprivileged: true,
    });
    expect({ ...result, stderr: undefined }).toEqual({
      saved: 0,
      warnings: [
        expect.objectContaining({
          code: "EMIT_FAILED",
          message: expect.stringMatching(/EACCES|permission/i),
        }),
      ],
      exitCode: 0,
      stderr: undefined,
    });
  });

  // A log symlinked to /dev/full once stood for a full disk; a log that is a symlink is now
  // refused before any write (test/hardening/hostile-files.test.ts), with the same contract.
  it("into a log symlinked to a device: returns nothing, warns once, does not throw", async () => {
    const { dir, emit, warnings } = await feature();
    await mkdir(dir, { recursive: true });
    await symlink("/dev/full", join(dir, "execution.events.jsonl"));
    const result = await emit("WP01");
    expect({ result, warnings }).toEqual({
      result: undefined,
      warnings: [
        expect.objectContaining({ code: "EMIT_FAILED", message: expect.stringMatching(/symlink/) }),
      ],
    });
  });

  it("after a torn last line: the new event is read back and only the fragment is skipped", async () => {
    const { dir, emit, warnings } = await feature();
    const first = await emit("WP01");
    const log = join(dir, "execution.events.jsonl");
    await writeFile(
      log,
      `${await readFile(log, "utf8")}{"aggregate_id": "043-telemetry-foundation", "caus`,
    );
    const second = await emit("WP02");
    const { events, stats } = await new SimpleJsonStore(log, { warn: () => undefined }).read();
    expect({ events, skipped: stats.skipped, warnings }).toEqual({
      events: [first, second],
      skipped: 1,
      warnings: [],
    });
  });
});
