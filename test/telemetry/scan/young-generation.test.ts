import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../support/temp-project.js";

const MODULE = join(import.meta.dirname, "../../../src/telemetry/scan/young-generation.ts");

// In a process of its own (a young generation grows once per process): the size of the main
// thread's young generation before and after keeping ~50 MB of small objects, with a worker
// thread started in between (which sets V8's flags back to Node's).
const SCRIPT = `
import { getHeapSpaceStatistics } from "node:v8";
import { Worker } from "node:worker_threads";
import { holdAfterWorkerStart, withYoungGenerationHeld } from ${JSON.stringify(MODULE)};
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
const kept = [];
const work = async () => {
  const before = young();
  const worker = new Worker("setTimeout(() => {}, 50)", { eval: true });
  await new Promise((resolve) => worker.once("online", () => resolve(holdAfterWorkerStart())));
  for (let i = 0; i < 1_000_000; i++) kept.push({ i, text: "x" + i });
  await worker.terminate();
  return [before, young()];
};
const sizes = process.argv[2] === "held" ? await withYoungGenerationHeld(work) : await work();
process.stdout.write(JSON.stringify(sizes));
`;

async function youngSizes(mode: "held" | "free"): Promise<[number, number]> {
  const script = join(await tempDir(), "young.mts");
  await writeFile(script, SCRIPT);
  const args = ["--import", "tsx", script, mode];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
  return JSON.parse(stdout) as [number, number];
}

describe("withYoungGenerationHeld", () => {
  it("keeps the young generation at its size while work keeps what it makes", async () => {
    const [before, after] = await youngSizes("held");
    expect(after).toBe(before);
  }, 60_000);

  it("(which V8 would otherwise grow)", async () => {
    const [before, after] = await youngSizes("free");
    expect(after).toBeGreaterThan(before);
  }, 60_000);
});
