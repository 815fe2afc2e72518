import { describe, expect, it } from "vitest";
import {
  normalizeTimestamp,
  nowTimestamp,
  utcTimestampFromMicros,
} from "../../src/events/timestamp.js";

describe("normalizeTimestamp", () => {
  it.each([
    ["2026-02-16T09:12:58.036834+00:00", "2026-02-16T09:12:58.036834+00:00"],
    ["2026-02-16T09:12:58+00:00", "2026-02-16T09:12:58+00:00"],
    ["2026-02-16T09:12:58.000000+00:00", "2026-02-16T09:12:58+00:00"],
    ["2026-02-16T09:12:58.5Z", "2026-02-16T09:12:58.500000+00:00"],
    ["2026-02-16T09:12:58", "2026-02-16T09:12:58+00:00"],
    ["2026-02-16 09:12:58.000005", "2026-02-16T09:12:58.000005+00:00"],
    ["2026-02-16T09:12:58.123456789+02:00", "2026-02-16T09:12:58.123456+02:00"],
    ["2026-02-16T09:12+0530", "2026-02-16T09:12:00+05:30"],
    ["2026-02-16T09:12:58-00:00", "2026-02-16T09:12:58+00:00"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00+00:00"],
  ])("reads %s as %s", (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    ["2026-02-30T00:00:00Z", /out of range/],
    ["2025-02-29T00:00:00Z", /out of range/],
    ["2026-02-16T24:00:00Z", /out of range/],
    ["2026-02-16T09:12:60Z", /out of range/],
    ["2026-02-16", /not an ISO 8601/],
    ["yesterday", /not an ISO 8601/],
    [1771233178, /must be a string/],
  ])("refuses %s", (input, message) => {
    expect(normalizeTimestamp(input)).toEqual({ error: expect.stringMatching(message) });
  });
});

describe("utcTimestampFromMicros", () => {
  it.each([
    [1771233178036834, "2026-02-16T09:12:58.036834+00:00"],
    [1771233178000000, "2026-02-16T09:12:58+00:00"],
    [1771233178000005, "2026-02-16T09:12:58.000005+00:00"],
  ])("writes %s as Python's isoformat()", (micros, expected) => {
    expect(utcTimestampFromMicros(micros)).toBe(expected);
  });
});

describe("nowTimestamp", () => {
  it("is the wall-clock time, in Python's format", () => {
    const before = Date.now();
    const stamp = nowTimestamp();
    const after = Date.now();
    const ms = Date.parse(stamp);
    expect({
      format: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/.test(stamp),
      inRange: ms >= before - 1 && ms <= after,
    }).toEqual({
      format: true,
      inRange: true,
    });
  });
});
