// The Claude session-log reader over a projects folder, as the import runs it: discover, then
// read every unit. Prints what it read, calls deduplicated by key across units as the import
// dedupes them, so that the runner can check it against the generator.
// Plain JS run by node on the built library (dist/): npm run build first.
// Usage: node bench/claude-read.mjs <projects folder>
import { claudeSessions } from "../dist/agents/claude/sessions.js";

let problems = 0;
const sink = {
  report: () => {
    problems++;
  },
};
let units = 0;
let turns = 0;
const seen = new Set();
const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
// Node's start and the modules' loading left out: the part that grows with the logs.
const started = performance.now();
for await (const unit of claudeSessions.discover(process.argv.slice(2), sink)) {
  units++;
  for await (const turn of claudeSessions.read(unit, sink)) {
    turns++;
    for (const call of turn.calls) {
      if (seen.has(call.key)) continue;
      seen.add(call.key);
      tokens.input += call.usage.inputTokens;
      tokens.output += call.usage.outputTokens;
      tokens.cacheRead += call.usage.cacheReadTokens;
      tokens.cacheWrite += call.usage.cacheWriteTokens;
    }
  }
}
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ units, turns, calls: seen.size, tokens, problems, ms })}\n`,
);
