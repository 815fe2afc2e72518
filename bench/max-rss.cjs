// Preloaded with `node --require bench/max-rss.cjs`: on exit, writes the process's peak resident
// set size in KB (getrusage's ru_maxrss, which covers every thread, workers included) and its
// CPU time in ms (user + system, every thread: the stable figure on a shared machine) to the
// file named by BENCH_MAX_RSS_FILE.
const { writeFileSync } = require("node:fs");

const out = process.env.BENCH_MAX_RSS_FILE;
if (out) {
  // Children of the measured process must not overwrite the figure.
  delete process.env.BENCH_MAX_RSS_FILE;
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    writeFileSync(out, `${usage.maxRSS} ${cpuMs}`);
  });
}
