import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileClockStorage } from "../../src/telemetry/clock-file.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { FIXTURE_PROJECT, tempDir } from "../support/temp-project.js";

async function clockIn(content?: string) {
  const path = join(await tempDir(), ".telemetry-clock.json");
  if (content !== undefined) await writeFile(path, content);
  const warnings: TelemetryWarning[] = [];
  return { path, warnings, clocks: new FileClockStorage(path, { warn: (w) => warnings.push(w) }) };
}

describe("FileClockStorage", () => {
  it("reads the Python spec-kitty's clock file", async () => {
    const path = join(
      FIXTURE_PROJECT,
      "kitty-specs/053-doctrine-governance-layer-refactor/.telemetry-clock.json",
    );
    const clocks = new FileClockStorage(path);
    expect([
      await clocks.load("cli:WP02"),
      await clocks.load("cli:N/A"),
      await clocks.maxValue(),
    ]).toEqual([3, 2, 3]);
  });

  it("writes the Python format: keys sorted, Python separators, no newline, other nodes kept", async () => {
    const { path, clocks } = await clockIn('{"cli:WP02": 3}');
    await clocks.save("cli:WP01", 7);
    await clocks.save("cli:\u00e9", 1);
    expect(await readFile(path, "utf8")).toBe('{"cli:WP01": 7, "cli:WP02": 3, "cli:\\u00e9": 1}');
  });

  it("loads 0 for an unknown node and for a missing file, without warning", async () => {
    const { clocks, warnings } = await clockIn();
    expect([await clocks.load("cli:WP09"), await clocks.maxValue(), warnings]).toEqual([0, 0, []]);
  });

  it.each([
    ["not JSON", "{cli:WP01: 3"],
    ["a JSON array", "[3]"],
    ["empty (a crash before the first write)", ""],
  ])("warns about a file that is %s and reads it as empty", async (_, content) => {
    const { clocks, warnings } = await clockIn(content);
    expect([await clocks.load("cli:WP01"), warnings.map((w) => w.code)]).toEqual([
      0,
      ["CLOCK_FILE_CORRUPT"],
    ]);
  });

  it("ignores values that are not clock values", async () => {
    const { clocks } = await clockIn('{"a": "9", "b": -4, "c": 2.7, "d": 5}');
    expect([await clocks.load("a"), await clocks.load("c"), await clocks.maxValue()]).toEqual([
      0, 2, 5,
    ]);
  });

  it("refuses to save a negative value and leaves the file alone", async () => {
    const { path, clocks } = await clockIn('{"cli:WP01": 3}');
    await expect(clocks.save("cli:WP01", -1)).rejects.toThrow(/non-negative/);
    expect(await readFile(path, "utf8")).toBe('{"cli:WP01": 3}');
  });
});
