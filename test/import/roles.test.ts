import { describe, expect, it } from "vitest";
import { NO_SIGNALS, specKittySignals } from "../../src/agents/spec-kitty-signals.js";
import { roleOf } from "../../src/import/roles.js";

describe("roleOf: the role of a turn's spec-kitty step", () => {
  it.each([
    ["/spec-kitty.implement WP02", "implementer"],
    ["/spec-kitty.review WP02", "reviewer"],
    ["/spec-kitty.specify", "specifier"],
    ["/spec-kitty.clarify", "specifier"],
    ["/spec-kitty.plan", "planner"],
    ["spec-kitty agent feature tasks", "planner"],
    ["/spec-kitty.analyze", "planner"],
    ["/spec-kitty.merge", "merger"],
    ["spec-kitty accept", "merger"],
    ["spec-kitty agent tasks move-task WP01 --to doing; /spec-kitty.review WP01", "reviewer"],
  ])("%s -> %s", (text, role) => {
    expect(roleOf(specKittySignals([text]))).toBe(role);
  });

  it("is the implementer for a turn that ran no step", () => {
    expect(roleOf(NO_SIGNALS)).toBe("implementer");
  });
});
