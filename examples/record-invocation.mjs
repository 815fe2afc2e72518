// Records one agent invocation with the built library and prints the resulting log line.
// Usage: node examples/record-invocation.mjs [featureDir]   (default: a new temporary folder)
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitExecutionEvent } from "../dist/index.js";

const featureDir =
  process.argv[2] ?? join(mkdtempSync(join(tmpdir(), "spec-kitty-")), "kitty-specs", "001-demo");
const event = await emitExecutionEvent(featureDir, "001-demo", "WP01", "claude", "implementer", {
  model: "claude-sonnet-4-5",
  inputTokens: 18_200,
  outputTokens: 2_450,
  cacheReadTokens: 120_000,
  costUsd: 0.1297,
  durationMs: 48_310,
});
if (event) {
  process.stdout.write(
    `recorded ${event.event_id} (clock ${event.lamport_clock}) in ${featureDir}\n`,
  );
  process.stdout.write(readFileSync(join(featureDir, "execution.events.jsonl"), "utf8"));
}
