import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../support/temp-project.js";

const SCAN = join(import.meta.dirname, "../../../src/telemetry/scan");

// In a process of its own: the scan of a line, a function reading its fields and the one that
// hands out model entries are optimized after ordinary lines, then a line arrives unlike those;
// printed is whether that code is still optimized. A change of the fields' layout (a
// small-integer field given a double) makes V8 throw away every optimized function that reads
// them, a dozen scanner and row functions in a report's scan, in each thread; so does code
// first run once optimized (the list of model entries grown). V8's own intrinsics (through
// Function: tsx does not parse them) tell which code runs.
const SCRIPT = `
import { EventFields } from ${JSON.stringify(`${SCAN}/event-fields.ts`)};
import { scanLine } from ${JSON.stringify(`${SCAN}/line-scanner.ts`)};
const prepare = new Function("f", "%PrepareFunctionForOptimization(f)");
const optimizeNext = new Function("f", "%OptimizeFunctionOnNextCall(f)");
const optimized = new Function("f", "return %ActiveTierIsTurbofan(f)");
const line = (clock, models) =>
  Buffer.from(
    '{"aggregate_id": "001-x", "causation_id": null, "event_id": "01JWQTH2VZQGAM8A306Y44MGC6", ' +
      '"event_type": "ExecutionEvent", "lamport_clock": ' + clock + ', "node_id": "cli:WP02", ' +
      '"payload": {"agent": "claude", "input_tokens": 5, "model": "m", "models": [' +
      Array.from({ length: models }, () => '{"input_tokens": 1, "model": "m"}').join(", ") +
      '], "output_tokens": 7}, "timestamp": "2025-06-02T08:01:04.383567+00:00"}',
  );
const fields = new EventFields();
const scan = (bytes) => {
  if (!scanLine(bytes, 0, bytes.length, fields)) throw new Error("not scanned");
};
const read = (f) => f.lamportClock + f.micros + f.modelCount + (f.models[0]?.inputTokens ?? 0);
const ordinary = line(1, 1);
const { nextModel } = EventFields.prototype;
for (const f of [scan, read, nextModel]) {
  prepare(f);
  scan(ordinary);
  read(fields);
  optimizeNext(f);
  scan(ordinary);
  read(fields);
}
const before = [optimized(scan), optimized(read), optimized(nextModel)];
scan(process.argv[2] === "clock" ? line(2 ** 40, 1) : line(2, 3));
read(fields);
process.stdout.write(JSON.stringify([before, [optimized(scan), optimized(read), optimized(nextModel)]]));
`;

async function optimizedAround(next: "clock" | "models"): Promise<boolean[][]> {
  const script = join(await tempDir(), "layout.mts");
  await writeFile(script, SCRIPT);
  const args = ["--allow-natives-syntax", "--import", "tsx", script, next];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
  return JSON.parse(stdout) as boolean[][];
}

describe("the scanner's fields keep their layout", () => {
  it.each([
    ["a clock past the small integers", "clock"],
    ["more models than any line before", "models"],
  ] as const)(
    "after %s, code reading them stays optimized",
    async (_, next) => {
      // The scan's own code and a reader of its fields, both optimized before and after.
      expect(await optimizedAround(next)).toEqual([
        [true, true, true],
        [true, true, true],
      ]);
    },
    60_000,
  );
});
