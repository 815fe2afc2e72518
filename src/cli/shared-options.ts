import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { DateContext } from "../telemetry/event-filter.js";
import { ROLES } from "../telemetry/execution-payload.js";
import type { FilterHint } from "../telemetry/filter-hints.js";
import { machineTimeZone, validTimeZone } from "../telemetry/time-zone.js";
import type { WarningSink } from "../telemetry/warnings.js";
import type { ProgramIo } from "./program-io.js";
import { printable } from "./terminal-text.js";

// Flags shared by several commands, defined once.
export const featureFilter = () =>
  new Option("-f, --feature <glob>", "only features whose folder name starts with or matches GLOB");
export const since = () =>
  new Option(
    "--since <date>",
    "only events at or after DATE: 2026-01-31, 20260131, today, yesterday, 7d (7 x 24 h ago) or an ISO 8601 time (naive = UTC)",
  );
export const until = () =>
  new Option(
    "--until <date>",
    "only events at or before DATE (a date includes that whole day, a time its whole second)",
  );
export const timeZone = (of = "dates") =>
  new Option("--timezone <zone>", `the IANA time zone of ${of} (default: the machine's)`);

/**
 * The date bounds of a command's filter, parsed once: days in `--timezone` (else the
 * machine's zone), relative forms against the injected clock.
 */
export function dateContext(io: ProgramIo, zone: string | undefined): DateContext {
  if (zone !== undefined) return { now: io.now, timeZone: validTimeZone(zone) };
  // The machine's zone is looked up when first read: Intl's first use costs a report that
  // has no dates (most) tens of milliseconds. It cannot fail, so nothing is checked late.
  let machine: string | undefined;
  return {
    now: io.now,
    get timeZone() {
      machine ??= machineTimeZone(io.env);
      return machine;
    },
  };
}
// The field filters of `events` and `cost`.
export const wpFilter = () => new Option("--wp <id>", "only this work package (e.g. WP01)");
export const agentFilter = () => new Option("--agent <name>", "only this agent (e.g. claude)");
export const modelFilter = () => new Option("--model <id>", "only this model id, as recorded");
export const roleFilter = () => new Option("--role <role>", "only this role").choices(ROLES);
export const successFilter = () =>
  new Option("--success", "only successful invocations").conflicts("failure");
export const failureFilter = () => new Option("--failure", "only failed invocations");
// Not `--source`: the import's `--source DIR` names folders to read; this is where events came from.
export const originFilter = () =>
  new Option(
    "--origin <origins>",
    "only events recorded by orchestrate, emit or import (several joined by commas); unknown: events that do not say (older logs, the Python CLI)",
  ).argParser((value) => value.split(",").map((v) => v.trim()));

/** The filter's fields from the flags above. */
export function fieldFilter(options: {
  wp?: string | undefined;
  agent?: string | undefined;
  model?: string | undefined;
  role?: string | undefined;
  success?: true | undefined;
  failure?: true | undefined;
  origin?: string[] | undefined;
}) {
  return {
    wpId: options.wp,
    agent: options.agent,
    model: options.model,
    role: options.role,
    success: options.success ? true : options.failure ? false : undefined,
    origin: options.origin,
  };
}

const HINT_VALUES = 12;

/** On stderr, for each filter value no event has, the values events have (not an error). */
export function printHints(io: ProgramIo, hints: readonly FilterHint[]): void {
  for (const { flag, value, noun, existing } of hints) {
    const shown = existing.slice(0, HINT_VALUES).join(", ");
    const more = existing.length > HINT_VALUES ? `, and ${existing.length - HINT_VALUES} more` : "";
    const have =
      existing.length === 0 ? `no event names ${noun}` : `${noun} in these logs: ${shown}${more}`;
    io.stderr(`hint: no event has ${flag} ${printable(JSON.stringify(value))}; ${printable(have)}
`);
  }
}

export const repo = () =>
  new Option(
    "--repo <dir>",
    "the project root (default: the nearest folder upwards holding kitty-specs/ or .kittify/)",
  );

/** `--wide`: the full table even when it is wider than the terminal. */
export const storeFrom = () =>
  new Option(
    "--from <url>",
    "read the PostgreSQL team store (postgres://USER:PASSWORD@HOST/DB, filled by sync) instead of this checkout's logs",
  ).conflicts("checkBudget"); // budgets are the checkout's
export const storeProject = () =>
  new Option(
    "--project <name>",
    "with --from: only this project (as sync named it); default every project",
  );
export const wide = () =>
  new Option(
    "--wide",
    "every column, however wide (by default a table fits the terminal or COLUMNS)",
  );

/** `--color` / `--no-color`: override NO_COLOR, FORCE_COLOR, TERM=dumb and the terminal check. */
export const color = () =>
  new Option("--color", "colour the output even when it is not a terminal (beats NO_COLOR)");
export const noColor = () => new Option("--no-color", "never colour the output");

/** The colour rule, for the commands' help. */
export const COLOR_HELP = `
Colour: --color / --no-color, else NO_COLOR (set: off), else FORCE_COLOR (0: off, else on), else
TERM=dumb (off), else on only when stdout is a terminal.`;

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a whole number >= 0.");
  }
  return n;
}

export function positiveInteger(value: string): number {
  const n = nonNegativeInteger(value);
  if (n === 0) throw new InvalidArgumentError("expected a whole number >= 1.");
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("expected a number >= 0.");
  }
  return n;
}

export function positiveNumber(value: string): number {
  const n = nonNegativeNumber(value);
  if (n === 0) throw new InvalidArgumentError("expected a number > 0.");
  return n;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a whole number.");
  }
  return n;
}

export function warningsTo(io: ProgramIo): WarningSink {
  return (warning) => io.stderr(`warning: ${printable(warning.message)}\n`);
}

/** How a command prints its results: a table for people, a JSON array, or JSON lines. */
export type OutputForm = "text" | "json" | "jsonl";

/**
 * Says that nothing was found (not an error: exit 0). Machine output keeps stdout parseable:
 * `--json` prints an empty array, `--jsonl` nothing at all; the message goes to stderr then.
 */
function nothingFound(io: ProgramIo, message: string, form: OutputForm): void {
  if (form === "json") io.stdout("[]\n");
  (form === "text" ? io.stdout : io.stderr)(`${message}\n`);
}

export function noFeatures(io: ProgramIo, pattern: string, form: OutputForm): void {
  nothingFound(io, `No features matching '${printable(pattern)}' found.`, form);
}

export function noEvents(io: ProgramIo, form: OutputForm): void {
  nothingFound(io, "No execution events found.", form);
}
