import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { laneWindows } from "../../src/import/lane-windows.js";
import { tempDir } from "../support/temp-project.js";

const T = (h: number) => Date.parse(`2026-03-01T${String(h).padStart(2, "0")}:00:00Z`);
const history = (...moves: [number, string][]) =>
  `---\nwork_package_id: WP01\nhistory:\n${moves.map(([h, lane]) => `  - timestamp: "2026-03-01T${String(h).padStart(2, "0")}:00:00Z"\n    lane: ${lane}\n    agent: claude\n`).join("")}---\n# WP01\n`;

describe("laneWindows: when each WP was in doing, from its prompt's history", () => {
  it.each([
    [
      "doing, then review",
      history([8, "planned"], [9, "doing"], [12, "for_review"]),
      [[T(9), T(12)]],
    ],
    [
      "back to doing after a review",
      history([9, "doing"], [10, "for_review"], [11, "doing"], [13, "done"]),
      [
        [T(9), T(10)],
        [T(11), T(13)],
      ],
    ],
    ["out of order entries", history([12, "for_review"], [9, "doing"]), [[T(9), T(12)]]],
    ["still in doing", history([9, "doing"]), [[T(9), Number.POSITIVE_INFINITY]]],
    ["no frontmatter", "# WP01\n", []],
    ["frontmatter that is not YAML", "---\nhistory: [unclosed\n---\n", []],
    ["a history that is not a list", "---\nhistory: doing\n---\n", []],
    ["an unreadable time", history([9, "doing"]).replace("2026-03-01T09", "someday"), []],
  ])("%s", async (_, text, expected) => {
    const feature = join(await tempDir(), "043-x");
    await mkdir(join(feature, "tasks"), { recursive: true });
    await writeFile(join(feature, "tasks", "WP01-setup.md"), text);
    await writeFile(join(feature, "tasks", "README.md"), history([9, "doing"]));
    const windows = await laneWindows(feature, "043-x");
    expect(windows.map((w) => [w.from, w.to])).toEqual(expected);
    expect(windows.every((w) => w.wpId === "WP01" && w.feature === "043-x")).toBe(true);
  });
});
