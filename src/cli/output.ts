import { createColors } from "picocolors";
import type { JsonValue } from "../events/py-json.js";
import { pythonFloatRepr } from "../events/py-json.js";
import type { ProgramIo } from "./program-io.js";

export type Colors = ReturnType<typeof createColors>;

/**
 * Whether to colour, first rule that applies wins: the `--color`/`--no-color` flag, `NO_COLOR`
 * (non-empty: off), `FORCE_COLOR` (`0`/`false`: off, any other value: on), `TERM=dumb` (off),
 * and otherwise on only when stdout is a terminal.
 */
export function colorEnabled(io: ProgramIo, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  const { NO_COLOR, FORCE_COLOR, TERM } = io.env;
  if (NO_COLOR !== undefined && NO_COLOR !== "") return false;
  if (FORCE_COLOR !== undefined) return FORCE_COLOR !== "0" && FORCE_COLOR !== "false";
  if (TERM === "dumb") return false;
  return io.columns !== undefined;
}

/** Colour functions for stdout, following `colorEnabled`. */
export function colorsFor(io: ProgramIo, flag?: boolean): Colors {
  return createColors(colorEnabled(io, flag));
}

/**
 * The width tables must fit: the terminal's, else `COLUMNS` (a whole number), else none (piped
 * output gets the full tables).
 */
export function outputWidth(io: ProgramIo): number | undefined {
  if (io.columns !== undefined) return io.columns;
  const fromEnv = io.env.COLUMNS;
  const n = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : 0;
  return n > 0 ? n : undefined;
}

/** A JSON value that may hold exact integers past 2^53 (token sums), written as plain digits. */
export type PrettyValue =
  | JsonValue
  | bigint
  | readonly PrettyValue[]
  | { readonly [key: string]: PrettyValue | undefined };

/**
 * JSON indented by two spaces, as the Python CLI prints it: keys in the given order, non-ASCII
 * kept, and numbers under `floatKeys` written as Python floats (`0.0`, `15.6`).
 */
export function prettyJson(value: PrettyValue, floatKeys: ReadonlySet<string>): string {
  const write = (v: PrettyValue, indent: string, asFloat: boolean): string => {
    if (typeof v === "number" && asFloat) return pythonFloatRepr(v);
    if (typeof v === "bigint") return v.toString();
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      const items = v.map((item: PrettyValue) => inner + write(item, inner, false));
      return `[\n${items.join(",\n")}\n${indent}]`;
    }
    const entries = Object.entries(v).filter((e): e is [string, PrettyValue] => e[1] !== undefined);
    if (entries.length === 0) return "{}";
    const items = entries.map(
      ([k, item]) => `${inner}${JSON.stringify(k)}: ${write(item, inner, floatKeys.has(k))}`,
    );
    return `{\n${items.join(",\n")}\n${indent}}`;
  };
  return `${write(value, "", false)}\n`;
}

/** A count with thousands separators, as Python's `{:,}` writes it. */
export function formatCount(n: number | bigint): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
}
