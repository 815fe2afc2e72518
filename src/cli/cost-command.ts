import { Command, Option } from "@commander-js/extra-typings";
import { parseGroupBy } from "../telemetry/cost.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import { parseFilter } from "../telemetry/query.js";
import { costReport, type ReportScope } from "../telemetry/report.js";
import { colorsFor } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { scanProgress } from "./progress.js";
import { findProjectRoot } from "./project-root.js";
import { renderCostJson, renderCostTable } from "./render-cost.js";
import {
  agentFilter,
  dateContext,
  failureFilter,
  featureFilter,
  fieldFilter,
  modelFilter,
  noEvents,
  noFeatures,
  printHints,
  repo,
  roleFilter,
  since,
  successFilter,
  timeZone,
  until,
  warningsTo,
  wpFilter,
} from "./shared-options.js";

/** `agent telemetry cost`: the cost report. */
export function costCommand(io: ProgramIo) {
  return new Command("cost")
    .description(
      "Show what agent invocations cost, grouped by agent, model, feature, role, WP or time.",
    )
    .addOption(featureFilter())
    .addOption(since())
    .addOption(until())
    .addOption(timeZone("dates and day/week/month buckets"))
    .addOption(wpFilter())
    .addOption(agentFilter())
    .addOption(modelFilter())
    .addOption(roleFilter())
    .addOption(successFilter())
    .addOption(failureFilter())
    .addOption(
      new Option(
        "-g, --group-by <keys>",
        "agent, model, feature, role, wp, day, week or month, or two joined by a comma (agent,model; month,agent; at most one a time)",
      ).default("agent"),
    )
    .option(
      "--json",
      "print the report as JSON (the Python CLI's keys, plus cache and unpriced keys)",
    )
    .addOption(repo())
    .addHelpText(
      "after",
      `
Costs are those the agents reported; where an event has none, they are estimated from its tokens
at the rates in pricing.yaml (overridable in .kittify/pricing.yaml) and marked ~. Events whose
model has no known rate count as $0 and are listed as unpriced.

day, week and month are dates in --timezone (default: the machine's zone); weeks are ISO weeks,
from Monday to Sunday (2026-W08). Periods are listed oldest first.

Examples:
  $ spec-kitty agent telemetry cost
  $ spec-kitty agent telemetry cost --group-by month,agent --timezone Europe/Berlin
  $ spec-kitty agent telemetry cost --group-by day --since 7d
  $ spec-kitty agent telemetry cost --agent claude --role reviewer --failure -g model
  $ spec-kitty agent telemetry cost --group-by model --since 2026-02-01
  $ spec-kitty agent telemetry cost --feature 043 --group-by agent,model --json`,
    )
    .action(async (options) => {
      // Flags parsed once, here, into the typed values passed down (a bad one fails alone).
      const groupBy = parseGroupBy(options.groupBy);
      const dates = dateContext(io, options.timezone);
      const filter = parseFilter(
        { since: options.since, until: options.until, ...fieldFilter(options) },
        dates,
      );
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const warn = warningsTo(io);
      const pricing = await loadPricingTable(repoRoot, { warn });
      const scope: ReportScope = {
        repoRoot,
        feature: options.feature,
        filter,
        warn,
        timeZone: dates.timeZone,
      };
      const json = options.json === true;
      // On stderr only, so even `--json | jq` on a terminal gets it and stdout stays clean.
      const progress = scanProgress(io, "Reading event logs");
      let report: Awaited<ReturnType<typeof costReport>>;
      try {
        report = await costReport(scope, groupBy, pricing, {
          onProgress: progress.onProgress,
        });
      } finally {
        progress.stop();
      }
      if (options.feature !== undefined && report.featureCount === 0) {
        noFeatures(io, options.feature, json ? "json" : "text");
      } else if (report.groups.length === 0) {
        noEvents(io, json ? "json" : "text");
        printHints(io, report.hints);
      } else if (json) {
        io.stdout(renderCostJson(report.groups));
      } else {
        io.stdout(renderCostTable(report.groups, colorsFor(io), pricing.effective));
      }
    });
}
