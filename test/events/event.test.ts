import { describe, expect, it } from "vitest";
import {
  compareEvents,
  createEvent,
  type Event,
  type EventInput,
  parseEventLine,
  serializeEvent,
  validateEvent,
} from "../../src/events/event.js";

const base: EventInput = {
  event_id: "01KHJVJWDM0HGAGYGXJYKD1JQG",
  event_type: "ExecutionEvent",
  aggregate_id: "043-telemetry-foundation",
  payload: { agent: "claude" },
  timestamp: "2026-02-16T09:12:58.036834+00:00",
  node_id: "cli:WP04",
  lamport_clock: 1,
};

describe("createEvent", () => {
  it("normalises ids and timestamps", () => {
    const event = createEvent({
      ...base,
      event_id: "6F9619FF8B86D011B42D00C04FC964FF",
      causation_id: "01khjvjwdm0hgagygxjykd1jqg",
      timestamp: "2026-02-16T09:12:58Z",
    });
    expect([event.event_id, event.causation_id, event.timestamp]).toEqual([
      "6f9619ff-8b86-d011-b42d-00c04fc964ff",
      "01KHJVJWDM0HGAGYGXJYKD1JQG",
      "2026-02-16T09:12:58+00:00",
    ]);
  });

  it.each([
    ["an empty event type", { event_type: "" }, /event_type/],
    ["an empty aggregate id", { aggregate_id: "" }, /aggregate_id/],
    ["an empty node id", { node_id: "" }, /node_id/],
    ["a negative clock", { lamport_clock: -1 }, /lamport_clock/],
    ["a fractional clock", { lamport_clock: 1.5 }, /lamport_clock/],
    ["a bad event id", { event_id: "not-an-id" }, /event_id/],
    ["a bad causation id", { causation_id: "xyz" }, /causation_id/],
    ["a bad timestamp", { timestamp: "2026-13-01T00:00:00Z" }, /timestamp/],
    ["an array payload", { payload: [] as never }, /payload/],
  ])("refuses %s", (_, change, message) => {
    expect(() => createEvent({ ...base, ...change })).toThrow(message);
  });

  it("defaults an absent payload to {} and causation to null, as the Python model does", () => {
    const { payload, causation_id, ...rest } = base;
    expect(validateEvent(rest)).toMatchObject({ payload: {}, causation_id: null });
  });
});

describe("parseEventLine / serializeEvent", () => {
  it("writes keys sorted with Python's separators, cost as a float", () => {
    const event = createEvent({ ...base, payload: { cost_usd: 15, input_tokens: 3 } });
    expect(serializeEvent(event, new Set(["cost_usd"]))).toBe(
      '{"aggregate_id": "043-telemetry-foundation", "causation_id": null, "event_id": "01KHJVJWDM0HGAGYGXJYKD1JQG", "event_type": "ExecutionEvent", "lamport_clock": 1, "node_id": "cli:WP04", "payload": {"cost_usd": 15.0, "input_tokens": 3}, "timestamp": "2026-02-16T09:12:58.036834+00:00"}',
    );
  });

  it.each([
    ["bad JSON", "{not json", /not JSON/],
    ["a JSON array", "[1, 2]", /./],
    [
      "a clock written as a string",
      JSON.stringify({ ...base, lamport_clock: "1" }),
      /lamport_clock/,
    ],
  ])("explains %s instead of throwing", (_, line, message) => {
    expect(parseEventLine(line)).toEqual({ error: expect.stringMatching(message) });
  });

  it("ignores unknown envelope keys written by newer Python versions", () => {
    const line = JSON.stringify({ ...base, build_id: "", schema_version: "3.0.0" });
    expect(parseEventLine(line)).toMatchObject({ event_id: base.event_id });
  });
});

describe("compareEvents", () => {
  it("orders by clock, then node id", () => {
    const make = (clock: number, node: string) =>
      createEvent({ ...base, lamport_clock: clock, node_id: node });
    const sorted: Event[] = [make(2, "a"), make(1, "b"), make(1, "a")].sort(compareEvents);
    expect(sorted.map((e) => `${e.lamport_clock}${e.node_id}`)).toEqual(["1a", "1b", "2a"]);
  });
});
