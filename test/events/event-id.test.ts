import { describe, expect, it } from "vitest";
import { isUlid, normalizeEventId } from "../../src/events/event-id.js";

describe("normalizeEventId", () => {
  it.each([
    ["01KHJVJWDM0HGAGYGXJYKD1JQG", "01KHJVJWDM0HGAGYGXJYKD1JQG"],
    ["01khjvjwdm0hgagygxjykd1jqg", "01KHJVJWDM0HGAGYGXJYKD1JQG"],
    ["6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"],
    ["6F9619FF8B86D011B42D00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"],
  ])("normalises %s to %s", (input, expected) => {
    expect(normalizeEventId(input)).toBe(expected);
  });

  it.each([
    ["01KHJVJWDM0HGAGYGXJYKD1JQU", /Crockford/],
    ["01KHJVJWDM0HGAGYGXJYKD1JQ", /got 25 characters/],
    ["6f9619ff-8b86-d011-b42d-00c04fc964fg", /got 36 characters/],
    [42, /must be a string/],
    [null, /got null/],
  ])("refuses %s", (input, message) => {
    expect(normalizeEventId(input)).toEqual({ error: expect.stringMatching(message) });
  });

  it("tells ULIDs from UUIDs", () => {
    expect([
      isUlid(normalizeEventId("01KHJVJWDM0HGAGYGXJYKD1JQG") as never),
      isUlid(normalizeEventId("6f9619ff8b86d011b42d00c04fc964ff") as never),
    ]).toEqual([true, false]);
  });
});
