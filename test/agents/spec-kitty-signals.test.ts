import { describe, expect, it } from "vitest";
import { specKittySignals } from "../../src/agents/spec-kitty-signals.js";

describe("specKittySignals", () => {
  it.each([
    ["/spec-kitty.implement WP02", [{ step: "implement", wpId: "WP02", feature: null }]],
    ["please run /spec-kitty.review", [{ step: "review", wpId: null, feature: null }]],
    [
      "spec-kitty agent workflow implement WP03 --feature 043-telemetry-foundation",
      [{ step: "implement", wpId: "WP03", feature: "043-telemetry-foundation" }],
    ],
    ["spec-kitty implement WP01", [{ step: "implement", wpId: "WP01", feature: null }]],
    [
      "spec-kitty agent tasks move-task WP04 --to for_review",
      [{ step: "move-task", wpId: "WP04", feature: null }],
    ],
    ["spec-kitty --version", []],
    ["the spec kitty implement step", []],
  ])("finds the commands in %j", (text, commands) => {
    expect(specKittySignals([text]).commands).toEqual(commands);
  });

  it.each([
    [
      "cd /repo/.worktrees/043-telemetry-foundation-WP02/src",
      [{ feature: "043-telemetry-foundation", wpId: "WP02" }],
    ],
    [
      "edit kitty-specs/014-search-indexing/tasks/WP03-indexer-worker.md",
      [{ feature: "014-search-indexing", wpId: "WP03" }],
    ],
    ["read kitty-specs/012-user-auth/spec.md", [{ feature: "012-user-auth", wpId: null }]],
    ["kitty-specs/notafeature/x", []],
  ])("finds the paths in %j", (text, paths) => {
    expect(specKittySignals([text]).paths).toEqual(paths);
  });

  it("names each command and path once across texts", () => {
    const signals = specKittySignals(["/spec-kitty.implement WP02", "/spec-kitty.implement WP02"]);
    expect(signals.commands).toHaveLength(1);
  });
});
