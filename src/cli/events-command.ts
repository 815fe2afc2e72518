import { Command, Option } from "@commander-js/extra-typings";
import { type Event, serializeEvent } from "../events/event.js";
import { storeEvents } from "../team/pg/events.js";
import { parseFilter } from "../telemetry/event-filter.js";
import { filterHints, listEvents, streamEvents } from "../telemetry/event-listing.js";
import { EXECUTION_FLOAT_KEYS } from "../telemetry/execution-payload.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import type { ReportScope } from "../telemetry/report.js";
import { colorsFor, outputWidth, writeBatched, writeBatchedAsync } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { renderEventsJson, renderEventsJsonStream, renderEventsTable } from "./render-events.js";
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
  positiveInteger,
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

/** `agent telemetry events`: the matching events, one per row or line. */
export function eventsCommand(io: ProgramIo) {
  return new Command("events")
    .description("List execution events, oldest first, with their tokens, cost and outcome.")
    .addOption(featureFilter())
    .addOption(since())
    .addOption(until())
    .addOption(timeZone())
    .addOption(wpFilter())
    .addOption(agentFilter())
    .addOption(modelFilter())
    .addOption(roleFilter())
    .addOption(successFilter())
    .addOption(failureFilter())
    .addOption(originFilter())
    .addOption(
      new Option(
        "--json",
        "print a JSON array: the events as on disk, plus cost_kind and estimated_cost_usd",
      ).conflicts("jsonl"),
    )
    .option("--jsonl", "print each event exactly as its line on disk")
    .option("--limit <n>", "only the last N events", positiveInteger)
    .addOption(repo())
    .addOption(storeFrom())
    .addOption(storeProject())
    .addOption(wide())
    .addOption(color())
    .addOption(noColor())
    .addHelpText(
      "after",
      `
Examples:
  $ spec-kitty agent telemetry events --limit 20
  $ spec-kitty agent telemetry events --feature 04* --agent claude --failure
  $ spec-kitty agent telemetry events --since 2026-02-16 --until 2026-02-16 --jsonl`,
    )
    .addHelpText("after", COLOR_HELP)
    .action(async (options) => {
      // Flags parsed once, here, into the typed filter passed down (a bad date fails alone).
      const filter = parseFilter(
        { since: options.since, until: options.until, ...fieldFilter(options) },
        dateContext(io, options.timezone),
      );
      // From the team store, a checkout is optional (its pricing overrides apply when there is one).
      const fromStore = options.from;
      const checkout =
        fromStore === undefined || options.repo !== undefined
          ? await findProjectRoot(io.cwd, options.repo)
          : await findProjectRoot(io.cwd).catch(() => undefined);
      const repoRoot = checkout ?? io.cwd;
      const warn = warningsTo(io);
      const scope: ReportScope = { repoRoot, feature: options.feature, filter, warn };
      const output = options.jsonl ? "jsonl" : options.json ? "json" : "text";
      if (output !== "text" && options.limit === undefined && fromStore === undefined) {
        // Every event, written as it comes from the merge of the logs: never all held.
        let featureCount = 0;
        const stream = streamEvents(scope, (n) => {
          featureCount = n;
        });
        const first = await stream.next();
        if (options.feature !== undefined && featureCount === 0) {
          noFeatures(io, options.feature, output);
        } else if (first.done) {
          noEvents(io, output);
          printHints(io, await filterHints(scope));
        } else {
          const events = (async function* () {
            yield first.value;
            yield* stream;
          })();
          await writeBatchedAsync(
            io,
            output === "jsonl"
              ? jsonlLines(events)
              : renderEventsJsonStream(events, await loadPricingTable(checkout, { warn })),
          );
        }
        return;
      }
      const { events, featureCount } =
        fromStore === undefined
          ? await listEvents(scope, options.limit)
          : await storeEvents(
              { url: fromStore, project: options.project, feature: options.feature, filter },
              options.limit,
            );
      if (options.feature !== undefined && featureCount === 0) {
        noFeatures(io, options.feature, output);
      } else if (events.length === 0) {
        noEvents(io, output);
        if (fromStore === undefined) printHints(io, await filterHints(scope));
      } else if (output === "jsonl") {
        const lines = function* () {
          for (const e of events) yield jsonlLine(e);
        };
        writeBatched(io, lines());
      } else if (output === "json") {
        writeBatched(io, renderEventsJson(events, await loadPricingTable(checkout, { warn })));
      } else {
        const pricing = await loadPricingTable(checkout, { warn });
        io.stdout(
          renderEventsTable(events, pricing, colorsFor(io, options.color), {
            width: outputWidth(io),
            wide: options.wide,
          }),
        );
      }
    });
}

function jsonlLine(event: Event): string {
  return `${serializeEvent(event, EXECUTION_FLOAT_KEYS)}\n`;
}

async function* jsonlLines(events: AsyncIterable<Event>): AsyncGenerator<string> {
  for await (const event of events) yield jsonlLine(event);
}
