// Preloaded with `node --require bench/max-rss.cjs`: on exit, writes the process's peak resident
// set size in KB (VmHWM, which covers every thread, workers included; getrusage's ru_maxrss
// where /proc is not there) and its CPU time in ms (user + system, every thread: the stable
// figure on a shared machine) to the file named by BENCH_MAX_RSS_FILE.
const { writeFileSync } = require("node:fs");

const out = process.env.BENCH_MAX_RSS_FILE;
if (out) {
  // Children of the measured process must not overwrite the figure.
  delete process.env.BENCH_MAX_RSS_FILE;
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    writeFileSync(out, `${peakRssKb() ?? usage.maxRSS} ${cpuMs}`);
  });
}

// The peak of this process's own memory (VmHWM: every thread shares it), where Linux tells it.
// Not ru_maxrss alone: Linux carries the spawning process's peak over into the child's at fork
// and exec, so a child of a bench grown to 80 MB "peaked" at 80 MB even for `--version`.
function peakRssKb() {
  try {
    const status = require("node:fs").readFileSync("/proc/self/status", "utf8");
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
