import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { serializeEvent } from "../events/event.js";
import { parseGroupBy } from "../telemetry/cost.js";
import { emitExecutionEvent } from "../telemetry/emit.js";
import { EXECUTION_FLOAT_KEYS, ROLES } from "../telemetry/execution-payload.js";
import { FEATURES_FOLDER } from "../telemetry/features.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import { timeBound } from "../telemetry/query.js";
import { costReport, listEvents, type ReportScope } from "../telemetry/report.js";
import type { TelemetryWarning, WarningSink } from "../telemetry/warnings.js";
import { colorsFor } from "./output.js";
import type { ProgramIo } from "./program.js";
import { findProjectRoot } from "./project-root.js";
import { renderCostJson, renderCostTable } from "./render-cost.js";
import { renderEventsJson, renderEventsTable } from "./render-events.js";

// Flags shared by several commands, defined once.
const featureFilter = () =>
  new Option("-f, --feature <glob>", "only features whose folder name starts with or matches GLOB");
const since = () =>
  new Option("--since <date>", "only events at or after DATE (ISO 8601; a naive time is UTC)");
const until = () =>
  new Option("--until <date>", "only events at or before DATE (a date alone includes that day)");
const repo = () =>
  new Option(
    "--repo <dir>",
    "the project root (default: the nearest folder upwards holding kitty-specs/ or .kittify/)",
  );

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a whole number >= 0.");
  }
  return n;
}

function positiveInteger(value: string): number {
  const n = nonNegativeInteger(value);
  if (n === 0) throw new InvalidArgumentError("expected a whole number >= 1.");
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("expected a number >= 0.");
  }
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a whole number.");
  }
  return n;
}

function warningsTo(io: ProgramIo): WarningSink {
  return (warning) => io.stderr(`warning: ${warning.message}\n`);
}

/** Checks the date bounds before anything is read, so a typo fails fast and alone. */
function checkDates(options: { since?: string | undefined; until?: string | undefined }): void {
  if (options.since !== undefined) timeBound(options.since, "since");
  if (options.until !== undefined) timeBound(options.until, "until");
}

function noFeatures(io: ProgramIo, pattern: string, json: boolean): void {
  if (json) io.stdout("[]\n");
  (json ? io.stderr : io.stdout)(`No features matching '${pattern}' found.\n`);
}

function noEvents(io: ProgramIo, json: boolean): void {
  if (json) io.stdout("[]\n");
  (json ? io.stderr : io.stdout)("No execution events found.\n");
}

function costCommand(io: ProgramIo) {
  return new Command("cost")
    .description("Show what agent invocations cost, grouped by agent, model, feature, role or WP.")
    .addOption(featureFilter())
    .addOption(since())
    .addOption(until())
    .addOption(
      new Option(
        "-g, --group-by <keys>",
        "agent, model, feature, role or wp, or two joined by a comma (agent,model)",
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

Examples:
  $ spec-kitty agent telemetry cost
  $ spec-kitty agent telemetry cost --group-by model --since 2026-02-01
  $ spec-kitty agent telemetry cost --feature 043 --group-by agent,model --json`,
    )
    .action(async (options) => {
      parseGroupBy(options.groupBy);
      checkDates(options);
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const warn = warningsTo(io);
      const pricing = await loadPricingTable(repoRoot, { warn });
      const scope: ReportScope = {
        repoRoot,
        feature: options.feature,
        filter: { since: options.since, until: options.until },
        warn,
      };
      const report = await costReport(scope, options.groupBy, pricing);
      const json = options.json === true;
      if (options.feature !== undefined && report.featureCount === 0) {
        noFeatures(io, options.feature, json);
      } else if (report.groups.length === 0) {
        noEvents(io, json);
      } else if (json) {
        io.stdout(renderCostJson(report.groups));
      } else {
        io.stdout(renderCostTable(report.groups, colorsFor(io), pricing.effective));
      }
    });
}

function eventsCommand(io: ProgramIo) {
  return new Command("events")
    .description("List execution events, oldest first, with their tokens, cost and outcome.")
    .addOption(featureFilter())
    .addOption(since())
    .addOption(until())
    .option("--wp <id>", "only this work package (e.g. WP01)")
    .option("--agent <name>", "only this agent (e.g. claude)")
    .option("--model <id>", "only this model id, as recorded")
    .option("--role <role>", `only this role (${ROLES.join(", ")})`)
    .addOption(new Option("--success", "only successful invocations").conflicts("failure"))
    .addOption(new Option("--failure", "only failed invocations"))
    .addOption(new Option("--json", "print a JSON array").conflicts("jsonl"))
    .option("--jsonl", "print each event exactly as its line on disk")
    .option("--limit <n>", "only the last N events", positiveInteger)
    .addOption(repo())
    .addHelpText(
      "after",
      `
Examples:
  $ spec-kitty agent telemetry events --limit 20
  $ spec-kitty agent telemetry events --feature 04* --agent claude --failure
  $ spec-kitty agent telemetry events --since 2026-02-16 --until 2026-02-16 --jsonl`,
    )
    .action(async (options) => {
      checkDates(options);
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const warn = warningsTo(io);
      const success = options.success ? true : options.failure ? false : undefined;
      const scope: ReportScope = {
        repoRoot,
        feature: options.feature,
        filter: {
          since: options.since,
          until: options.until,
          wpId: options.wp,
          agent: options.agent,
          model: options.model,
          role: options.role,
          success,
        },
        warn,
      };
      const { events, featureCount } = await listEvents(scope, options.limit);
      const json = options.json === true || options.jsonl === true;
      if (options.feature !== undefined && featureCount === 0) {
        noFeatures(io, options.feature, options.json === true);
      } else if (events.length === 0) {
        noEvents(io, options.json === true);
      } else if (options.jsonl) {
        io.stdout(events.map((e) => `${serializeEvent(e, EXECUTION_FLOAT_KEYS)}\n`).join(""));
      } else if (json) {
        io.stdout(renderEventsJson(events));
      } else {
        const pricing = await loadPricingTable(repoRoot, { warn });
        io.stdout(renderEventsTable(events, pricing, colorsFor(io)));
      }
    });
}

function featureSlug(value: string): string {
  if (value === "" || value === "." || value === ".." || /[/\\]/.test(value)) {
    throw new InvalidArgumentError(`expected a feature folder name under ${FEATURES_FOLDER}/.`);
  }
  return value;
}

function emitCommand(io: ProgramIo) {
  return new Command("emit")
    .description("Record one agent invocation as an ExecutionEvent in the feature's log.")
    .addOption(
      new Option("-f, --feature <slug>", "the feature folder name, e.g. 043-telemetry-foundation")
        .argParser(featureSlug)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("-r, --role <role>", "the phase role").choices(ROLES).makeOptionMandatory(),
    )
    .option("--agent <name>", "the agent (claude, codex, gemini, copilot, cursor, ...)", "unknown")
    .option("--model <id>", "the model id the agent used")
    .option("--wp-id <id>", "the work package", "N/A")
    .addOption(
      new Option("--input-tokens <n>", "uncached prompt tokens").argParser(nonNegativeInteger),
    )
    .addOption(
      new Option("--output-tokens <n>", "generated tokens, reasoning included").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option("--cache-read-tokens <n>", "prompt tokens served from a cache").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option("--cache-write-tokens <n>", "prompt tokens written to a cache").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option("--reasoning-tokens <n>", "the reasoning part of the output tokens").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option(
        "--cost-usd <usd>",
        "the cost the agent reported (else estimated in reports)",
      ).argParser(nonNegativeNumber),
    )
    .addOption(
      new Option("--duration-ms <ms>", "how long the invocation took")
        .argParser(nonNegativeNumber)
        .default(0),
    )
    .addOption(
      new Option("--success", "the invocation succeeded (the default)").conflicts("failure"),
    )
    .addOption(new Option("--failure", "the invocation failed"))
    .option("--error <message>", "what went wrong, for a failure")
    .addOption(new Option("--exit-code <n>", "the agent's exit code").argParser(integer))
    .option("--session-id <id>", "the agent's session id")
    .option("--json", "print the result as JSON")
    .addOption(repo())
    .addHelpText(
      "after",
      `
Emission never fails the caller: if the event cannot be written, a warning is printed and the
exit code is still 0. Invalid flag values are refused with exit 1 before anything is written.

Examples:
  $ spec-kitty agent telemetry emit --feature 043-telemetry-foundation --role implementer \\
      --agent claude --model claude-sonnet-4-5 --input-tokens 12000 --output-tokens 3400 \\
      --cache-read-tokens 80000 --cost-usd 0.2143 --duration-ms 95000 --wp-id WP01
  $ spec-kitty agent telemetry emit -f 043-telemetry-foundation -r reviewer --failure --json`,
    )
    .action(async (options) => {
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const featureDir = join(repoRoot, FEATURES_FOLDER, options.feature);
      const warnings: TelemetryWarning[] = [];
      const event = await emitExecutionEvent(
        featureDir,
        options.feature,
        options.wpId,
        options.agent,
        options.role,
        {
          model: options.model ?? null,
          inputTokens: options.inputTokens ?? null,
          outputTokens: options.outputTokens ?? null,
          cacheReadTokens: options.cacheReadTokens ?? null,
          cacheWriteTokens: options.cacheWriteTokens ?? null,
          reasoningTokens: options.reasoningTokens ?? null,
          costUsd: options.costUsd ?? null,
          durationMs: options.durationMs,
          success: options.failure !== true,
          error: options.error ?? null,
          exitCode: options.exitCode ?? null,
          sessionId: options.sessionId ?? null,
          warn: (w) => {
            warnings.push(w);
            warningsTo(io)(w);
          },
        },
      );
      if (options.json) {
        const result = event
          ? {
              result: "success",
              feature: options.feature,
              role: options.role,
              agent: options.agent,
              model: options.model ?? null,
              event_id: event.event_id,
              lamport_clock: event.lamport_clock,
            }
          : { result: "error", error: warnings.map((w) => w.message).join("; ") };
        io.stdout(`${JSON.stringify(result)}\n`);
      } else if (event) {
        io.stdout(`✓ Telemetry event emitted: ${options.role} for ${options.feature}\n`);
      }
    });
}

/** `spec-kitty agent telemetry cost|events|emit`. */
export function agentCommand(io: ProgramIo): Command {
  const telemetry = new Command("telemetry")
    .description("Record agent invocations and report what they cost.")
    .addCommand(costCommand(io))
    .addCommand(eventsCommand(io))
    .addCommand(emitCommand(io));
  return new Command("agent")
    .description("Commands for coding agents and the people who run them.")
    .addCommand(telemetry);
}
