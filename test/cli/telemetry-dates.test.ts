import { describe, expect, it } from "vitest";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

const telemetry = (...args: string[]) => ["agent", "telemetry", ...args];
// The fixture's events are on 2026-02-16 and later; this clock is 2026-02-17 12:00 UTC.
const now = Date.parse("2026-02-17T12:00:00Z");

async function eventCount(args: string[], env: Record<string, string> = {}): Promise<number> {
  const run = await runSpecKitty(telemetry("events", "--json", ...args), {
    cwd: await copyOfFixtureProject(),
    now,
    env,
  });
  expect(run.exitCode, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as unknown[]).length;
}

describe("--since / --until on the fixture", () => {
  it.each<[string, string[], number]>([
    // Three events at 09:12:58.035698, .036834 and .038052: a time copied from the table covers its second.
    [
      "a second from the events table",
      ["--since", "2026-02-16T09:12:58", "--until", "2026-02-16T09:12:58"],
      3,
    ],
    ["the minute", ["--until", "2026-02-16T09:12"], 3],
    ["a compact date", ["--until", "20260216"], 9],
    ["the same, ISO", ["--until", "2026-02-16"], 9],
    ["yesterday, by the injected clock", ["--since", "yesterday", "--until", "yesterday"], 9],
    ["1d: the last 24 hours", ["--since", "1d", "--until", "0d"], 6],
  ])("%s", async (_, args, count) => {
    expect(await eventCount(args)).toBe(count);
  });

  it("takes days in --timezone: 2026-02-16 in Tokyo ends at 15:00 UTC", async () => {
    expect(await eventCount(["--until", "2026-02-16", "--timezone", "Asia/Tokyo"])).toBe(7);
  });

  it("defaults the zone to the machine's (TZ)", async () => {
    expect(await eventCount(["--until", "2026-02-16"], { TZ: "Asia/Tokyo" })).toBe(7);
  });

  it.each<[string, string[], RegExp]>([
    [
      "a reversed range",
      ["--since", "2026-02-17", "--until", "2026-02-16"],
      /^spec-kitty: --since "2026-02-17" is after --until "2026-02-16": no event can match\n$/,
    ],
    [
      "an unknown zone",
      ["--timezone", "Mars/Olympus"],
      /^spec-kitty: unknown time zone "Mars\/Olympus": .*\n$/,
    ],
    [
      "a date it cannot read",
      ["--since", "2026-02-30"],
      /^spec-kitty: invalid --since date "2026-02-30": .*\n$/,
    ],
  ])("refuses %s with one line, exit 1 (cost and events)", async (_, args, message) => {
    const cwd = await copyOfFixtureProject();
    for (const command of ["cost", "events"]) {
      const run = await runSpecKitty(telemetry(command, ...args), { cwd, now });
      expect(run).toEqual({ stdout: "", stderr: expect.stringMatching(message), exitCode: 1 });
    }
  });
});
