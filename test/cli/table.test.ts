import { describe, expect, it } from "vitest";
import { displayWidth, drawTable, truncate, wrapText } from "../../src/cli/table.js";

describe("displayWidth, truncate, wrapText", () => {
  it.each<[string, number]>([
    ["abc", 3],
    ["\u001b[36mabc\u001b[39m", 3],
    ["模型", 4],
    ["e\u0301", 1],
    ["┌─┐…", 4],
  ])("%j takes %i columns", (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it.each<[string, number, string]>([
    ["043-telemetry-foundation", 10, "043-telem…"],
    ["short", 10, "short"],
    ["模型名称abc", 5, "模型…"],
    ["模型名称abc", 6, "模型…"],
  ])("truncate(%j, %i) is %j, never wider", (text, width, cut) => {
    expect([truncate(text, width), displayWidth(truncate(text, width)) <= width]).toEqual([
      cut,
      true,
    ]);
  });

  it.each<[string, number, string[]]>([
    ["one two three", 7, ["one two", "three"]],
    ["one two three", 100, ["one two three"]],
    ["abcdefghij xy", 4, ["abcd", "efgh", "ij", "xy"]],
  ])("wrapText(%j, %i)", (text, width, lines) => {
    expect(wrapText(text, width)).toEqual(lines);
  });
});

describe("drawTable", () => {
  const spec = {
    head: ["Name", "N"],
    align: ["left", "right"] as const,
    rows: [[{ text: "a-rather-long-name", paint: (s: string) => `\u001b[36m${s}\u001b[39m` }, "1"]],
    minWidths: [6, undefined],
  };

  it("cuts a shortenable column to fit, colouring after the cut", () => {
    const { text, shortened } = drawTable(spec, 16);
    expect([text.split("\n").map(displayWidth), shortened]).toEqual([
      [16, 16, 16, 16, 16, 0],
      true,
    ]);
    expect(text).toContain("\u001b[36ma-rathe…\u001b[39m");
  });

  it("leaves the table alone when it fits, or without a limit", () => {
    expect(drawTable(spec, 200)).toEqual(drawTable(spec));
    expect(drawTable(spec).shortened).toBe(false);
  });
});
