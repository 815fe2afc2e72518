import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { timeBound } from "../telemetry/query.js";
import type { WarningSink } from "../telemetry/warnings.js";
import type { ProgramIo } from "./program.js";
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

/** Checks the date bounds before anything is read, so a typo fails fast and alone. */
export function checkDates(options: {
  since?: string | undefined;
  until?: string | undefined;
}): void {
  if (options.since !== undefined) timeBound(options.since, "since");
  if (options.until !== undefined) timeBound(options.until, "until");
}

export function noFeatures(io: ProgramIo, pattern: string, json: boolean): void {
  if (json) io.stdout("[]\n");
  (json ? io.stderr : io.stdout)(`No features matching '${printable(pattern)}' found.\n`);
}

export function noEvents(io: ProgramIo, json: boolean): void {
  if (json) io.stdout("[]\n");
  (json ? io.stderr : io.stdout)("No execution events found.\n");
}
