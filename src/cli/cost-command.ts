import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { projectSpending } from "../telemetry/budget-spending.js";
import {
  BUDGET_EXIT_CODE,
  BUDGETS_PATH,
  budgetStatuses,
  loadBudgets,
} from "../telemetry/budgets.js";
import { parseGroupBy } from "../telemetry/cost.js";
import { parseFilter } from "../telemetry/event-filter.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import { costReport, type ReportScope } from "../telemetry/report.js";
import type { TelemetryWarning } from "../telemetry/warnings.js";
import { formatCostCsv } from "./format-cost-csv.js";
import { formatCostJson } from "./format-cost-json.js";
import { formatCostMarkdown } from "./format-cost-md.js";
import { colorsFor, outputWidth } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { scanProgress } from "./progress.js";
import { findProjectRoot } from "./project-root.js";
import { exceededBudgets, renderBudgets } from "./render-budgets.js";
import { renderCostJson } from "./render-cost-json.js";
import {
  agentFilter,
  COLOR_HELP,
  color,
  dateContext,
  failureFilter,
  featureFilter,
  fieldFilter,
  modelFilter,
  noColor,
  noEvents,
  noFeatures,
  originFilter,
  printHints,
  repo,
  roleFilter,
  since,
  storeFrom,
  storeProject,
  successFilter,
  timeZone,
  until,
  warningsTo,
  wide,
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
    .addOption(originFilter())
    .addOption(
      new Option(
        "-g, --group-by <keys>",
        "agent, model, feature, role, wp, source (orchestrate, emit, import; unknown: not recorded), day, week or month, or two joined by a comma (agent,model; month,agent; at most one a time)",
      ).default("agent"),
    )
    .addOption(
      new Option(
        "--json",
        "print the Python CLI's JSON array (its keys, plus cache and unpriced keys)",
      ).conflicts("format"),
    )
    .addOption(
      new Option(
        "--format <format>",
        "table; json (versioned: group objects, totals, exact money); csv; md (GitHub table)",
      )
        .choices(["table", "json", "csv", "md"] as const)
        .default("table" as const),
    )
    .option(
      "--check-budget",
      `exit ${BUDGET_EXIT_CODE} when any budget in ${BUDGETS_PATH} is exceeded (for CI or a hook)`,
    )
    .addOption(repo())
    .addOption(storeFrom())
    .addOption(storeProject())
    .addOption(wide())
    .addOption(color())
    .addOption(noColor())
    .addHelpText(
      "after",
      `
Costs are those the agents reported; where an event has none, they are estimated from its tokens
at the rates in pricing.yaml (overridable in .kittify/pricing.yaml) and marked ~. Events whose
model has no known rate count as $0 and are listed as unpriced.

Budgets in .kittify/budgets.yaml (USD: project, monthly, features: {<slug>: usd}) are shown under
the table as spent / budget / remaining, over all events whatever the filters; --check-budget
exits ${BUDGET_EXIT_CODE} when one is exceeded (spent more than it), naming each on stderr.

day, week and month are dates in --timezone (default: the machine's zone); weeks are ISO weeks,
from Monday to Sunday (2026-W08). Periods are listed oldest first.

Examples:
  $ spec-kitty agent telemetry cost
  $ spec-kitty agent telemetry cost --group-by month,agent --timezone Europe/Berlin
  $ spec-kitty agent telemetry cost --group-by day --since 7d
  $ spec-kitty agent telemetry cost --agent claude --role reviewer --failure -g model
  $ spec-kitty agent telemetry cost --group-by model --since 2026-02-01
  $ spec-kitty agent telemetry cost --group-by source,agent
  $ spec-kitty agent telemetry cost --origin import --group-by feature
  $ spec-kitty agent telemetry cost --feature 043 --group-by agent,model --json
  $ spec-kitty agent telemetry cost --group-by feature --format md > cost.md
  $ spec-kitty agent telemetry cost --from postgres://reader@db/telemetry --project acme/shop`,
    )
    .addHelpText("after", COLOR_HELP)
    .action(async (options) => {
      // Flags parsed once, here, into the typed values passed down (a bad one fails alone).
      const groupBy = parseGroupBy(options.groupBy);
      const dates = dateContext(io, options.timezone);
      const filter = parseFilter(
        { since: options.since, until: options.until, ...fieldFilter(options) },
        dates,
      );
      // From the team store, a checkout is optional (its pricing overrides apply when there is one).
      const repoRoot =
        options.from === undefined || options.repo !== undefined
          ? await findProjectRoot(io.cwd, options.repo)
          : await findProjectRoot(io.cwd).catch(() => undefined);
      // Warnings go to stderr as they come, and into `--format json`'s `warnings` too.
      const warnings: TelemetryWarning[] = [];
      const toStderr = warningsTo(io);
      const warn = (w: TelemetryWarning) => {
        warnings.push(w);
        toStderr(w);
      };
      const pricing = await loadPricingTable(repoRoot, { warn });
      // A malformed budgets file fails here, before anything is read. Budgets are the
      // checkout's: a report from the team store shows none.
      const budgets =
        repoRoot === undefined || options.from !== undefined
          ? undefined
          : await loadBudgets(repoRoot);
      const format = options.json === true ? "python-json" : options.format;
      const scope: ReportScope = {
        repoRoot: repoRoot ?? io.cwd,
        feature: options.feature,
        filter,
        warn,
        // Read only by a report grouped by time (see dateContext).
        get timeZone() {
          return dates.timeZone;
        },
      };
      // On stderr only, so even `--json | jq` on a terminal gets it and stdout stays clean.
      const progress = scanProgress(io, "Reading event logs");
      let report: Awaited<ReturnType<typeof costReport>>;
      try {
        report =
          options.from === undefined
            ? await costReport(scope, groupBy, pricing, { onProgress: progress.onProgress })
            : await (await import("../team/pg/report.js")).storeCostReport(
                {
                  url: options.from,
                  project: options.project,
                  feature: options.feature,
                  filter,
                  timeZone: dates.timeZone,
                },
                groupBy,
                pricing,
              );
      } finally {
        progress.stop();
      }
      // The table and the Python array say "nothing found" their own way; the other formats
      // print their (empty) report and say it on stderr.
      const form = format === "table" ? "text" : format === "python-json" ? "json" : "jsonl";
      const empty = report.groups.length === 0;
      if (options.feature !== undefined && report.featureCount === 0) {
        noFeatures(io, options.feature, form);
      } else if (empty) {
        noEvents(io, form);
        printHints(io, report.hints);
      }
      const { groups } = report;
      // Loaded only for a table: the table's code (cli-table3) is a JSON report's biggest load.
      const renderCostTable =
        format === "table" ? (await import("./render-cost.js")).renderCostTable : undefined;
      const printReport = () => {
        switch (format) {
          case "python-json":
            io.stdout(renderCostJson(groups));
            break;
          case "json":
            io.stdout(
              formatCostJson({
                groupBy,
                groups,
                filters: { feature: options.feature, ...filter },
                pricingEffective: pricing.effective,
                warnings,
              }),
            );
            break;
          case "csv":
            io.stdout(formatCostCsv(groupBy, groups));
            break;
          case "md":
            io.stdout(formatCostMarkdown(groupBy, groups, pricing.effective));
            break;
          case "table":
            io.stdout(
              renderCostTable?.(groups, colorsFor(io, options.color), pricing.effective, {
                width: outputWidth(io),
                wide: options.wide,
              }) ?? "",
            );
        }
      };
      const statuses =
        budgets === undefined
          ? []
          : budgetStatuses(
              budgets,
              await projectSpending(repoRoot ?? io.cwd, pricing, {
                timeZone: dates.timeZone ?? "UTC",
                nowMicros: (io.now?.() ?? Date.now()) * 1000,
                warn,
              }),
            );
      if (!(empty && (format === "table" || format === "python-json"))) {
        printReport();
      }
      if (format === "table") io.stdout(renderBudgets(statuses, colorsFor(io, options.color)));
      if (options.checkBudget !== true) return;
      if (budgets === undefined) io.stderr(`no budgets: ${BUDGETS_PATH} does not exist\n`);
      const exceeded = exceededBudgets(statuses);
      for (const line of exceeded) io.stderr(`spec-kitty: ${line}\n`);
      if (exceeded.length > 0) {
        // runCli turns a CommanderError into its exit code without printing it again.
        throw new CommanderError(
          BUDGET_EXIT_CODE,
          "spec-kitty.budget-exceeded",
          exceeded.join("; "),
        );
      }
    });
}
