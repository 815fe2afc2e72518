import { execFileSync } from "node:child_process";
import { appendFile, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEvent, type Event, parseEventLine, serializeEvent } from "../../src/events/event.js";
import { EXECUTION_FLOAT_KEYS } from "../../src/telemetry/execution-payload.js";
import { SimpleJsonStore } from "../../src/telemetry/json-store.js";
import { digestPrefix } from "../../src/telemetry/log-fingerprint.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { FIXTURE_PROJECT, tempDir } from "../support/temp-project.js";

const FEATURES = join(FIXTURE_PROJECT, "kitty-specs");

async function fixtureLogs(): Promise<string[]> {
  const features = await readdir(FEATURES);
  return features.sort().map((f) => join(FEATURES, f, "execution.events.jsonl"));
}

function collectingStore(path: string) {
  const warnings: TelemetryWarning[] = [];
  return { store: new SimpleJsonStore(path, { warn: (w) => warnings.push(w) }), warnings };
}

let idCounter = 0;
function executionEvent(
  overrides: { payload?: Record<string, unknown>; clock?: number; id?: string } = {},
): Event {
  idCounter++;
  return createEvent({
    event_id: overrides.id ?? `01KHJVJWDM0HGAGYGXJY${String(idCounter).padStart(6, "0")}`,
    event_type: "ExecutionEvent",
    aggregate_id: "043-telemetry-foundation",
    payload: {
      wp_id: "WP01",
      agent: "claude",
      role: "implementer",
      model: "claude-opus-4-6",
      input_tokens: 1200,
      output_tokens: 300,
      cost_usd: 0.0123,
      duration_ms: 4500,
      success: true,
      error: null,
      exit_code: 0,
      ...overrides.payload,
    } as never,
    timestamp: "2026-02-16T09:12:58.036834+00:00",
    node_id: "cli:WP01",
    lamport_clock: overrides.clock ?? idCounter,
  });
}

const lineOf = (event: Event) => `${serializeEvent(event, EXECUTION_FLOAT_KEYS)}\n`;

describe("the Python spec-kitty's logs", () => {
  it("every fixture line parses and re-serialises byte for byte", async () => {
    const lines = (await Promise.all((await fixtureLogs()).map((f) => readFile(f, "utf8"))))
      .flatMap((text) => text.split("\n"))
      .filter((line) => line !== "");
    const rewritten = lines.map((line) =>
      serializeEvent(parseEventLine(line) as Event, EXECUTION_FLOAT_KEYS),
    );
    expect({ count: lines.length, rewritten }).toEqual({ count: 25, rewritten: lines });
  });

  it("the store reads every fixture event with no warning", async () => {
    const counts: number[] = [];
    const warnings: TelemetryWarning[] = [];
    for (const log of await fixtureLogs()) {
      const { events } = await new SimpleJsonStore(log, { warn: (w) => warnings.push(w) }).read();
      counts.push(events.length);
    }
    expect({ counts, warnings }).toEqual({ counts: [2, 1, 8, 14], warnings: [] });
  });
});

describe("SimpleJsonStore writing", () => {
  it("creates parent folders and reads back exactly what it wrote", async () => {
    const path = join(await tempDir(), "kitty-specs", "043-x", "execution.events.jsonl");
    const { store } = collectingStore(path);
    const written = [
      executionEvent(),
      executionEvent({
        payload: { cost_usd: 0, error: "caf\u00e9 \u{1F600} failed\n", success: false },
      }),
      executionEvent({ payload: { cost_usd: null, input_tokens: null, cache_read_tokens: 5000 } }),
      executionEvent({ payload: { cost_usd: 1.5e-5, model: "gpt-5.1-codex" } }),
    ];
    for (const event of written) await store.saveEvent(event);
    const { events } = await store.read();
    expect({ events, file: await readFile(path, "utf8") }).toEqual({
      events: written,
      file: written.map(lineOf).join(""),
    });
  });

  it("writes lines the Python reference reads and re-dumps identically", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const { store } = collectingStore(path);
    await store.saveEvent(
      executionEvent({ payload: { cost_usd: 15, error: "na\u00efve \u2603" } }),
    );
    await store.saveEvent(executionEvent({ payload: { cost_usd: 1e-7, reasoning_tokens: 7 } }));
    await store.saveEvent(
      createEvent({
        ...executionEvent({ payload: { cost_usd: 2 } }),
        event_id: "6F9619FF8B86D011B42D00C04FC964FF",
        causation_id: "01khjvjwdm0hgagygxjykd1jqg",
        timestamp: "2026-02-16T09:12:58Z",
      }),
    );
    // The Python spec-kitty's Event model rules, checked by Python itself on our bytes.
    const check = [
      "import json, re, sys",
      "from datetime import datetime",
      "ID = re.compile(r'^[0-9A-HJKMNP-TV-Z]{26}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')",
      "for line in open(sys.argv[1], encoding='utf-8'):",
      "    line = line.rstrip('\\n'); e = json.loads(line)",
      "    assert json.dumps(e, sort_keys=True) == line, line",
      "    assert sorted(e) == ['aggregate_id', 'causation_id', 'event_id', 'event_type', 'lamport_clock', 'node_id', 'payload', 'timestamp']",
      "    assert ID.match(e['event_id']) and (e['causation_id'] is None or ID.match(e['causation_id']))",
      "    assert all(isinstance(e[k], str) and e[k] for k in ('event_type', 'aggregate_id', 'node_id'))",
      "    assert type(e['lamport_clock']) is int and e['lamport_clock'] >= 0 and type(e['payload']) is dict",
      "    assert datetime.fromisoformat(e['timestamp']).isoformat() == e['timestamp']",
      "    assert type(e['payload']['cost_usd']) is float and type(e['payload']['input_tokens']) is int",
      "print('ok')",
    ].join("\n");
    expect(execFileSync("python3", ["-c", check, path], { encoding: "utf8" }).trim()).toBe("ok");
  });

  it("skips an event whose id is stored, in this process and in a fresh one", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const event = executionEvent();
    const first = collectingStore(path).store;
    const saves = [await first.saveEvent(event), await first.saveEvent(event)];
    saves.push(await collectingStore(path).store.saveEvent(event));
    await rm(join(path, "..", ".execution.events.jsonl.index.json"));
    saves.push(await collectingStore(path).store.saveEvent(event));
    const lowerCased = createEvent({ ...event, event_id: event.event_id.toLowerCase() });
    saves.push(await collectingStore(path).store.saveEvent(lowerCased));
    expect({ saves, file: await readFile(path, "utf8") }).toEqual({
      saves: [true, false, false, false, false],
      file: lineOf(event),
    });
  });

  it("appends many at once, skipping ids stored (UUIDs included) or repeated in the batch", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const old = executionEvent({ id: "6f9619ff-8b86-5011-b42d-00c04fc964ff" });
    await collectingStore(path).store.saveEvent(old);
    const fresh = executionEvent({ id: "7f9619ff-8b86-5011-b42d-00c04fc964ff" });
    const ulid = executionEvent();
    const written = await collectingStore(path).store.appendMany(() => [old, fresh, ulid, fresh]);
    const again = await collectingStore(path).store.appendMany(() => [fresh, ulid]);
    expect({
      written: written.map((e) => e.event_id),
      again,
      file: await readFile(path, "utf8"),
    }).toEqual({
      written: [fresh.event_id, ulid.event_id],
      again: [],
      file: [old, fresh, ulid].map(lineOf).join(""),
    });
  });

  it("finds old ULIDs and UUIDs beyond the index's window by scanning", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const { store } = collectingStore(path);
    const uuidEvent = executionEvent({ id: "6f9619ff-8b86-d011-b42d-00c04fc964ff" });
    const many = Array.from({ length: 600 }, () => executionEvent());
    for (const event of [uuidEvent, ...many]) await store.saveEvent(event);
    const again = [
      await collectingStore(path).store.saveEvent(uuidEvent),
      await collectingStore(path).store.saveEvent(many[0] as Event),
      await collectingStore(path).store.saveEvent(many[599] as Event),
    ];
    const lines = (await readFile(path, "utf8")).split("\n").length - 1;
    expect({ again, lines }).toEqual({ again: [false, false, false], lines: 601 });
  });

  it("notices a log rewritten behind its index (a git merge) and rebuilds the index", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const { store } = collectingStore(path);
    const [a, b] = [executionEvent({ clock: 4 }), executionEvent({ clock: 9 })];
    await store.saveEvent(a);
    // Another branch's history replaces the file: the index's size and fingerprint no longer hold.
    const c = executionEvent({ clock: 30 });
    await writeFile(path, lineOf(c) + lineOf(b));
    let head = -1;
    const appended = await store.appendNext((h) => {
      head = h.maxLamportClock;
      return c;
    });
    expect({
      head,
      appended,
      saveA: await store.saveEvent(a),
      saveB: await store.saveEvent(b),
    }).toEqual({
      head: 30,
      appended: null,
      saveA: true,
      saveB: false,
    });
  });

  it("rebuilds a missing index from every kind of line: only valid events count as stored", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const events = {
      bom: executionEvent({ clock: 3 }),
      canonical: executionEvent({ clock: 5 }),
      invalid: executionEvent({ clock: 900, payload: { input_tokens: -1 } }),
      lowerCase: executionEvent({ clock: 7 }),
      crlf: executionEvent({ clock: 8 }),
      compact: executionEvent({ clock: 11 }),
      torn: executionEvent({ clock: 950 }),
    };
    const compact = JSON.stringify(JSON.parse(lineOf(events.compact)));
    await writeFile(
      path,
      [
        `\ufeff${lineOf(events.bom)}`,
        lineOf(events.canonical),
        lineOf(events.invalid),
        lineOf(events.lowerCase).replace(events.lowerCase.event_id, (id) => id.toLowerCase()),
        lineOf(events.crlf).replace("\n", "\r\n"),
        `${compact}\n`,
        lineOf(events.torn).slice(0, 120),
      ].join(""),
    );
    let head = -1;
    await collectingStore(path).store.appendNext((h) => {
      head = h.maxLamportClock;
      return executionEvent({ clock: h.maxLamportClock + 1 });
    });
    const store = collectingStore(path).store;
    const saves = await Promise.all(
      [events.bom, events.canonical, events.lowerCase, events.crlf, events.compact].map((e) =>
        store.saveEvent(e),
      ),
    );
    const invalidIdStored = !(await store.saveEvent(
      createEvent({ ...events.invalid, payload: events.canonical.payload }),
    ));
    // The index's digest, taken during the rebuild's walk, is the digest of the bytes it covers.
    const index = JSON.parse(
      await readFile(join(path, "..", ".execution.events.jsonl.index.json"), "utf8"),
    );
    const log = await open(path, "r");
    const digest = await digestPrefix(log, index.log_size).finally(() => log.close());
    expect(index.digest).toEqual(digest);
    expect({ head, saves, invalidIdStored }).toEqual({
      head: 11,
      saves: [false, false, false, false, false],
      invalidIdStored: false,
    });
  });

  it("rebuilds an index the skim cannot settle (invalid lines with the top clocks) by reading every line", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const valid = Array.from({ length: 300 }, (_, i) => executionEvent({ clock: i + 1 }));
    // More invalid lines with clocks above every valid one than the skim keeps candidates for.
    const invalid = Array.from({ length: 100 }, (_, i) =>
      executionEvent({ clock: 5000 + i, payload: { input_tokens: -1 } }),
    );
    await writeFile(path, [...valid, ...invalid].map(lineOf).join(""));
    let head = -1;
    await collectingStore(path).store.appendNext((h) => {
      head = h.maxLamportClock;
      return executionEvent({ clock: h.maxLamportClock + 1 });
    });
    const store = collectingStore(path).store;
    expect({
      head,
      validStored: !(await store.saveEvent(valid[299] as Event)),
      invalidStored: !(await store.saveEvent(
        createEvent({ ...(invalid[99] as Event), payload: (valid[0] as Event).payload }),
      )),
    }).toEqual({ head: 300, validStored: true, invalidStored: false });
  });

  it("takes lines appended by another writer (the Python CLI) into account", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const { store } = collectingStore(path);
    await store.saveEvent(executionEvent({ clock: 1 }));
    const python = executionEvent({ clock: 41 });
    await appendFile(path, lineOf(python));
    let head = -1;
    await store.appendNext((h) => {
      head = h.maxLamportClock;
      return executionEvent({ clock: h.maxLamportClock + 1 });
    });
    expect({ head, resave: await store.saveEvent(python) }).toEqual({ head: 41, resave: false });
  });
});

describe("SimpleJsonStore reading", () => {
  const good = () => lineOf(executionEvent());
  const valid = JSON.parse(lineOf(executionEvent()));
  const variant = (
    change: (e: { payload: Record<string, unknown>; [key: string]: unknown }) => void,
  ) => {
    const copy = structuredClone(valid);
    change(copy);
    return `${JSON.stringify(copy)}\n`;
  };

  it.each([
    ["not JSON", '{"event_id": \n', /not JSON/],
    ["a truncated object", `${good().slice(0, 80)}\n`, /not JSON/],
    [
      "tokens as a string",
      variant((e) => {
        e.payload.input_tokens = "1200";
      }),
      /input_tokens/,
    ],
    [
      "negative tokens",
      variant((e) => {
        e.payload.output_tokens = -5;
      }),
      /output_tokens/,
    ],
    [
      "cost as a string",
      variant((e) => {
        e.payload.cost_usd = "0.5";
      }),
      /cost_usd/,
    ],
    [
      "success as a string",
      variant((e) => {
        e.payload.success = "yes";
      }),
      /success/,
    ],
    [
      "a negative clock",
      variant((e) => {
        e.lamport_clock = -1;
      }),
      /lamport_clock/,
    ],
    [
      "a float clock",
      variant((e) => {
        e.lamport_clock = 2.5;
      }),
      /lamport_clock/,
    ],
    [
      "a bad event id",
      variant((e) => {
        e.event_id = "123";
      }),
      /event_id/,
    ],
    [
      "a missing node id",
      variant((e) => {
        delete e.node_id;
      }),
      /node_id/,
    ],
    [
      "a bad timestamp",
      variant((e) => {
        e.timestamp = "16/02/2026";
      }),
      /timestamp/,
    ],
    ["a JSON array", "[1, 2, 3]\n", /./],
    ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), /UTF-8/],
  ])("skips %s, keeps the events around it and reports it once", async (_, bad, reason) => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const around = [executionEvent(), executionEvent(), executionEvent()];
    await writeFile(path, lineOf(around[0] as Event));
    await appendFile(path, bad);
    await appendFile(path, `\n${lineOf(around[1] as Event)}${lineOf(around[2] as Event)}`);
    const { store, warnings } = collectingStore(path);
    const { events, stats } = await store.read();
    expect({ events, skipped: stats.skipped, warnings }).toEqual({
      events: around,
      skipped: 1,
      warnings: [
        expect.objectContaining({
          code: "MALFORMED_LINES",
          skipped: 1,
          message: expect.stringMatching(reason),
        }),
      ],
    });
  });

  it("counts every malformed line exactly, with one warning for the file", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const keep = [executionEvent(), executionEvent()];
    await writeFile(
      path,
      `oops\n${lineOf(keep[0] as Event)}\n\n[]\n{"a": 1}\n${lineOf(keep[1] as Event)}  \nnull\n`,
    );
    const { store, warnings } = collectingStore(path);
    const { events, stats } = await store.read();
    expect({
      ids: events.map((e) => e.event_id),
      skipped: stats.skipped,
      warnings: warnings.length,
    }).toEqual({
      ids: keep.map((e) => e.event_id),
      skipped: 4,
      warnings: 1,
    });
  });

  it("reads CRLF line endings and a byte-order mark", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const events = [executionEvent(), executionEvent()];
    await writeFile(path, `\ufeff${events.map((e) => lineOf(e).replace("\n", "\r\n")).join("")}`);
    const { store, warnings } = collectingStore(path);
    expect({ read: (await store.read()).events, warnings }).toEqual({ read: events, warnings: [] });
  });

  it("reads an event id repeated by a git merge once", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const [a, b] = [executionEvent(), executionEvent()];
    await writeFile(path, lineOf(a) + lineOf(b) + lineOf(a));
    const { store } = collectingStore(path);
    const { events, stats } = await store.read();
    expect({ events, duplicates: stats.duplicates }).toEqual({ events: [a, b], duplicates: 1 });
  });

  it("reads a missing file as empty", async () => {
    const { store, warnings } = collectingStore(
      join(await tempDir(), "none", "execution.events.jsonl"),
    );
    expect({ all: await store.loadAllEvents(), warnings }).toEqual({ all: [], warnings: [] });
  });

  it("streams events in file order and loads them sorted by (clock, node)", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const events = [
      executionEvent({ clock: 3 }),
      executionEvent({ clock: 1 }),
      executionEvent({ clock: 2 }),
    ];
    for (const event of events) await collectingStore(path).store.saveEvent(event);
    const { store } = collectingStore(path);
    const streamed: number[] = [];
    for await (const event of store.events()) streamed.push(event.lamport_clock);
    const sorted = (await store.loadAllEvents()).map((e) => e.lamport_clock);
    const byAggregate = await store.loadEvents("other-feature");
    expect({ streamed, sorted, byAggregate }).toEqual({
      streamed: [3, 1, 2],
      sorted: [1, 2, 3],
      byAggregate: [],
    });
  });

  it("reads lines longer than one read chunk", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const big = executionEvent({ payload: { error: "x".repeat(3 * 1024 * 1024) } });
    const small = executionEvent();
    await writeFile(path, lineOf(big) + lineOf(small));
    expect((await collectingStore(path).store.read()).events).toEqual([big, small]);
  });
});

describe("a torn last line (a writer crashed mid-line)", () => {
  it("costs only the fragment: the next save starts on a fresh line", async () => {
    const path = join(await tempDir(), "execution.events.jsonl");
    const before = executionEvent();
    await writeFile(path, lineOf(before) + lineOf(executionEvent()).slice(0, 57));
    const { store, warnings } = collectingStore(path);
    const readBefore = (await store.read()).events;
    const after = executionEvent();
    await store.saveEvent(after);
    const { events, stats } = await store.read();
    expect({ readBefore, events, skipped: stats.skipped, warnings: warnings.length }).toEqual({
      readBefore: [before],
      events: [before, after],
      skipped: 1,
      warnings: 2,
    });
  });
});
