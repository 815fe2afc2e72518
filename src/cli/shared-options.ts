import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { WarningSink } from "../telemetry/warnings.js";
import type { ProgramIo } from "./program-io.js";
import { printable } from "./terminal-text.js";

// Flags shared by several commands, defined once.
export const featureFilter = () =>
  new Option("-f, --feature <glob>", "only features whose folder name starts with or matches GLOB");
export const since = () =>
  new Option("--since <date>", "only events at or after DATE (ISO 8601; a naive time is UTC)");
export const until = () =>
  new Option("--until <date>", "only events at or before DATE (a date alone includes that day)");
export const repo = () =>
  new Option(
    "--repo <dir>",
    "the project root (default: the nearest folder upwards holding kitty-specs/ or .kittify/)",
  );

/** `--wide`: the full table even when it is wider than the terminal. */
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
