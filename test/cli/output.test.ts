import { describe, expect, it } from "vitest";
import {
  type PrettyValue,
  prettyJson,
  prettyJsonArray,
  writeBatched,
} from "../../src/cli/output.js";
import type { ProgramIo } from "../../src/cli/program-io.js";

const FLOATS = new Set(["cost_usd"]);

describe("prettyJsonArray: prettyJson of an array, one item at a time", () => {
  it.each<[string, PrettyValue[]]>([
    ["empty", []],
    ["one number", [1]],
    [
      "objects, a float key, a bigint, nesting",
      [
        { cost_usd: 0, n: 9007199254740993n, nested: { cost_usd: 15.6, list: [1, "ü", null] } },
        { empty: {}, none: [], s: "a\nb" },
      ],
    ],
  ])("%s: byte for byte", (_, items) => {
    expect([...prettyJsonArray(items, FLOATS)].join("")).toBe(prettyJson(items, FLOATS));
  });
});

describe("writeBatched", () => {
  it("writes everything, in few calls of about the batch size, never one giant string", () => {
    const calls: string[] = [];
    const io: ProgramIo = { stdout: (t) => calls.push(t), stderr: () => {}, cwd: "/", env: {} };
    const pieces = Array.from({ length: 1000 }, (_, i) => `${"x".repeat(99)}${i % 10}`);
    writeBatched(io, pieces, 10_000);
    expect([calls.join(""), calls.length, Math.max(...calls.map((c) => c.length))]).toEqual([
      pieces.join(""),
      10,
      10_000,
    ]);
  });
});
