import { describe, expect, it } from "vitest";
import type { ProgramIo } from "../../src/cli/program-io.js";
import { dateContext } from "../../src/cli/shared-options.js";

function io(env: Record<string, string>): ProgramIo {
  return { stdout: () => true, stderr: () => true, cwd: "/", env, columns: 80 } as ProgramIo;
}

describe("dateContext", () => {
  // Intl's first use costs tens of milliseconds; a report with no dates must not pay it.
  it("looks up the machine's zone only when it is read, once", () => {
    const env: Record<string, string> = { TZ: "Asia/Tokyo" };
    const dates = dateContext(io(env), undefined);
    // Changed after the context was made: only a late lookup sees it.
    env.TZ = "Europe/Berlin";
    expect(dates.timeZone).toBe("Europe/Berlin");
    env.TZ = "America/New_York";
    expect(dates.timeZone).toBe("Europe/Berlin");
  });

  it("checks a --timezone at once (a typo fails before anything is read)", () => {
    expect(() => dateContext(io({}), "Mars/Olympus")).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(dateContext(io({}), "europe/berlin").timeZone).toBe("Europe/Berlin");
  });
});
