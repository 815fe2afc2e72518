import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import { parseFilter } from "../telemetry/event-filter.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import { dashboardData, MAX_PERIODS } from "./dashboard-data.js";
import { formatCount } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { chartLibrary, renderDashboard } from "./render-dashboard.js";
import {
  agentFilter,
  dateContext,
  failureFilter,
  featureFilter,
  fieldFilter,
  modelFilter,
  positiveInteger,
  repo,
  roleFilter,
  since,
  successFilter,
  timeZone,
  until,
  warningsTo,
  wpFilter,
} from "./shared-options.js";

/** Where the dashboard goes by default, relative to the project root. */
const DEFAULT_OUT = join(".kittify", "dashboard.html");

/** `agent telemetry dashboard`: one offline HTML file of the cost report's aggregates. */
export function dashboardCommand(io: ProgramIo) {
  return new Command("dashboard")
    .description("Write one self-contained HTML dashboard of what agent invocations cost.")
    .option("--out <file>", `where to write it (default: ${DEFAULT_OUT} in the project)`)
    .addOption(featureFilter())
    .addOption(since())
    .addOption(until())
    .addOption(timeZone("dates and day/week buckets"))
    .addOption(wpFilter())
    .addOption(agentFilter())
    .addOption(modelFilter())
    .addOption(roleFilter())
    .addOption(successFilter())
    .addOption(failureFilter())
    .addOption(
      new Option(
        "--period <unit>",
        `the cost-over-time buckets; auto: days, or weeks, or months, whichever first gives at most ${MAX_PERIODS} bars`,
      )
        .choices(["auto", "day", "week", "month"] as const)
        .default("auto" as const),
    )
    .addOption(
      new Option("--stack <key>", "what the cost-over-time bars are stacked by")
        .choices(["agent", "model"] as const)
        .default("agent" as const),
    )
    .option("--top <n>", "how many of the most expensive invocations to list", positiveInteger, 10)
    .addOption(repo())
    .addHelpText(
      "after",
      `
The page holds aggregates only (its size does not grow with the log: cost over time has at
most ${MAX_PERIODS} bars unless --period asks for finer ones) and Chart.js, inlined: it works
offline. Its figures are those of \`cost --format json\` (the same code): headline spend with its
estimated and unpriced shares, cost over time, by feature, by model with what cache reads saved,
the work packages' attempts, rejections and failed-run cost, the most expensive invocations, and
the budgets of .kittify/budgets.yaml.

Examples:
  $ spec-kitty agent telemetry dashboard
  $ spec-kitty agent telemetry dashboard --out cost.html --since 30d --period week --stack model`,
    )
    .action(async (options) => {
      const dates = dateContext(io, options.timezone);
      const filter = parseFilter(
        { since: options.since, until: options.until, ...fieldFilter(options) },
        dates,
      );
      // Read while the logs are (~210 KB); a failed read is thrown where it is awaited.
      const chartJs = chartLibrary();
      chartJs.catch(() => undefined);
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const warn = warningsTo(io);
      const pricing = await loadPricingTable(repoRoot, { warn });
      const data = await dashboardData({
        repoRoot,
        feature: options.feature,
        filter,
        // Looked up when the scan first needs it (Intl's first use overlaps its file look-ups).
        get timeZone() {
          return dates.timeZone ?? "UTC";
        },
        period: options.period,
        stack: options.stack,
        top: options.top,
        nowMs: io.now?.() ?? Date.now(),
        pricing,
        warn,
      });
      const html = renderDashboard(data, await chartJs);
      const out =
        options.out === undefined ? join(repoRoot, DEFAULT_OUT) : resolve(io.cwd, options.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, html);
      io.stdout(`${out} (${formatCount(Math.ceil(Buffer.byteLength(html) / 1024))} KB)\n`);
    });
}
