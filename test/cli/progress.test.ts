import { afterEach, describe, expect, it, vi } from "vitest";
import type { ProgramIo } from "../../src/cli/program-io.js";
import { scanProgress } from "../../src/cli/progress.js";

function terminal(isTty: boolean, env: Record<string, string> = {}) {
  let stderr = "";
  const io: ProgramIo = {
    stdout: () => undefined,
    stderr: (text) => {
      stderr += text;
    },
    cwd: "/",
    env,
    columns: 100,
    stderrIsTty: isTty,
  };
  return { io, stderr: () => stderr };
}

describe("the scan's progress on stderr", () => {
  const ci = process.env.CI;
  afterEach(() => {
    vi.useRealTimers();
    if (ci !== undefined) process.env.CI = ci;
  });

  it("appears once a scan has run for a second, with the share read, and is cleared", async () => {
    vi.useFakeTimers({ now: 0 });
    // The spinner library reads CI from the process itself: a user's terminal has none.
    delete process.env.CI;
    const { io, stderr } = terminal(true);
    const progress = scanProgress(io, "Reading event logs");
    await vi.dynamicImportSettled(); // the spinner's code, loaded only for a terminal
    progress.onProgress(10 << 20, 100 << 20);
    expect(stderr()).toBe(""); // a quick report shows nothing
    vi.setSystemTime(1500);
    progress.onProgress(40 << 20, 100 << 20);
    expect(stderr()).toContain("Reading event logs 40% (40 of 100 MiB)");
    progress.stop();
    expect(stderr()).toContain("\u001b[2K"); // the line is cleared before the report prints
  });

  it("stays silent when stderr is not a terminal, or in CI", () => {
    vi.useFakeTimers({ now: 0 });
    for (const { io, stderr } of [terminal(false), terminal(true, { CI: "true" })]) {
      const progress = scanProgress(io, "Reading event logs");
      vi.setSystemTime(Date.now() + 5000);
      progress.onProgress(50, 100);
      progress.stop();
      expect(stderr()).toBe("");
    }
  });
});
