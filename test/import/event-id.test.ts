import { describe, expect, it } from "vitest";
import { normalizeEventId } from "../../src/events/event-id.js";
import { importEventId } from "../../src/import/event-id.js";

describe("importEventId", () => {
  it("is a canonical version-5 UUID, the same for the same turn and target", () => {
    const id = importEventId("claude", "turn-1", "043-x/WP01");
    expect([id, normalizeEventId(id), importEventId("claude", "turn-1", "043-x/WP01")]).toEqual([
      expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      id,
      id,
    ]);
  });

  it.each([
    ["another agent", ["codex", "turn-1", "043-x/WP01"]],
    ["another turn", ["claude", "turn-2", "043-x/WP01"]],
    ["another target", ["claude", "turn-1", "043-x/WP02"]],
    ["a shifted separator", ["claude", "turn-1043-x/WP01", ""]],
  ] as const)("differs for %s", (_, [agent, turn, target]) => {
    expect(importEventId(agent, turn, target)).not.toBe(
      importEventId("claude", "turn-1", "043-x/WP01"),
    );
  });
});
