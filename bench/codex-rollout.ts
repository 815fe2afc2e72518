// npx tsx bench/codex-rollout.ts [MB]: the Codex session reader on one generated rollout of
// about MB megabytes (default 400), against reading the same lines with readline alone. The
// rollout repeats the real sub-agent parent fixture's lines, each tool output padded to 20 KB
// (real rollouts are mostly such outputs). Prints the medians of 3 runs.
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { codexSessionReader } from "../src/agents/codex/sessions.js";

const MB = Number(process.argv[2] ?? "400");
const FIXTURE = join(
  import.meta.dirname,
  "..",
  "test/fixtures/session-logs/codex/subagent/sessions/2026/11/30",
  "rollout-2026-11-30T12-52-13-01a22c83-521a-7851-b67f-c5c411b3963d.jsonl",
);

const dir = await mkdtemp(join(tmpdir(), "codex-bench-"));
try {
  const file = join(dir, "rollout-bench.jsonl");
  const [head = "", ...body] = (await readFile(FIXTURE, "utf8")).trimEnd().split("\n");
  const pad = "x".repeat(20_000);
  const block = body
    .map((l) =>
      l.includes('"type":"function_call_output"') ? l.replace('"output":"', `"output":"${pad}`) : l,
    )
    .join("\n");
  const parts = [head];
  for (let size = 0; size < MB * 1e6; size += block.length) parts.push(block);
  await writeFile(file, `${parts.join("\n")}\n`);
  const bytes = (await stat(file)).size;
  const raw: number[] = [];
  const ours: number[] = [];
  let calls = 0;
  for (let run = 0; run < 3; run++) {
    let t = performance.now();
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
    for await (const _ of lines);
    raw.push(performance.now() - t);
    t = performance.now();
    const sink = { report: () => {} };
    calls = 0;
    for await (const unit of codexSessionReader.discover([file], sink)) {
      for await (const turn of codexSessionReader.read(unit, sink)) calls += turn.calls.length;
    }
    ours.push(performance.now() - t);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
  const [r, o] = [median(raw), median(ours)];
  process.stdout.write(
    `${(bytes / 1e6).toFixed(0)} MB rollout, ${calls} calls: readline alone ${r.toFixed(0)} ms, ` +
      `reader ${o.toFixed(0)} ms (${(bytes / 1e3 / o).toFixed(0)} MB/s), ratio ${(o / r).toFixed(2)}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
