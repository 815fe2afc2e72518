import { describe, expect, it } from "vitest";
import { createEvent } from "../../src/events/event.js";
import { InMemoryEventStore } from "../../src/events/store.js";

const event = (id: string, aggregate: string, clock: number, node: string) =>
  createEvent({
    event_id: id,
    event_type: "ExecutionEvent",
    aggregate_id: aggregate,
    timestamp: "2026-02-16T09:12:58+00:00",
    node_id: node,
    lamport_clock: clock,
  });

describe("InMemoryEventStore", () => {
  it("saves each id once and loads sorted by (clock, node)", async () => {
    const store = new InMemoryEventStore();
    const saved = [
      await store.saveEvent(event("01KHJVJWDM0HGAGYGXJYKD1JQ1", "f1", 2, "cli:A")),
      await store.saveEvent(event("01KHJVJWDM0HGAGYGXJYKD1JQ2", "f2", 1, "cli:B")),
      await store.saveEvent(event("01KHJVJWDM0HGAGYGXJYKD1JQ3", "f1", 1, "cli:A")),
      await store.saveEvent(event("01KHJVJWDM0HGAGYGXJYKD1JQ1", "f1", 9, "cli:Z")),
    ];
    const all = (await store.loadAllEvents()).map((e) => e.event_id.slice(-1));
    const f1 = (await store.loadEvents("f1")).map((e) => e.event_id.slice(-1));
    expect({ saved, all, f1 }).toEqual({
      saved: [true, true, true, false],
      all: ["3", "2", "1"],
      f1: ["3", "1"],
    });
  });
});
