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

/** `v` as pretty JSON whose first line is already indented by `indent` (see prettyJson). */
function writePretty(
  v: PrettyValue,
  indent: string,
  asFloat: boolean,
  floatKeys: ReadonlySet<string>,
): string {
  if (typeof v === "number" && asFloat) return pythonFloatRepr(v);
  if (typeof v === "bigint") return v.toString();
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((item: PrettyValue) => inner + writePretty(item, inner, false, floatKeys));
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(v).filter((e): e is [string, PrettyValue] => e[1] !== undefined);
  if (entries.length === 0) return "{}";
  const items = entries.map(
    ([k, item]) =>
      `${inner}${JSON.stringify(k)}: ${writePretty(item, inner, floatKeys.has(k), floatKeys)}`,
  );
  return `{\n${items.join(",\n")}\n${indent}}`;
}

/**
 * JSON indented by two spaces, as the Python CLI prints it: keys in the given order, non-ASCII
 * kept, and numbers under `floatKeys` written as Python floats (`0.0`, `15.6`).
 */
export function prettyJson(value: PrettyValue, floatKeys: ReadonlySet<string>): string {
  return `${writePretty(value, "", false, floatKeys)}\n`;
}

/**
 * `prettyJson` of the array of `items`, byte for byte, as pieces made one item at a time: an
 * array too large for one string (V8 caps a string near 512 MB) can still be written.
 */
export function* prettyJsonArray(
  items: Iterable<PrettyValue>,
  floatKeys: ReadonlySet<string>,
): Generator<string> {
  let first = true;
  for (const item of items) {
    yield `${first ? "[\n" : ",\n"}  ${writePretty(item, "  ", false, floatKeys)}`;
    first = false;
  }
  yield first ? "[]\n" : "\n]\n";
}

/** `prettyJsonArray` of items that come one at a time, asynchronously (a stream of events). */
export async function* prettyJsonArrayAsync(
  items: AsyncIterable<PrettyValue>,
  floatKeys: ReadonlySet<string>,
): AsyncGenerator<string> {
  let first = true;
  for await (const item of items) {
    yield `${first ? "[\n" : ",\n"}  ${writePretty(item, "  ", false, floatKeys)}`;
    first = false;
  }
  yield first ? "[]\n" : "\n]\n";
}

/** `writeBatched` of pieces that come asynchronously. */
export async function writeBatchedAsync(
  io: ProgramIo,
  pieces: AsyncIterable<string>,
  batchSize = 1 << 16,
): Promise<void> {
  const out = stdoutBatches(io, batchSize);
  for await (const piece of pieces) out.add(piece);
  out.flush();
}

/** Writes `pieces` to stdout in batches of about `batchSize` characters (few calls, no giant string). */
export function writeBatched(io: ProgramIo, pieces: Iterable<string>, batchSize = 1 << 16): void {
  const out = stdoutBatches(io, batchSize);
  for (const piece of pieces) out.add(piece);
  out.flush();
}

/** Pieces gathered and written to stdout once about `batchSize` characters are waiting. */
function stdoutBatches(io: ProgramIo, batchSize: number) {
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    if (size > 0) io.stdout(batch.join(""));
    batch = [];
    size = 0;
  };
  return {
    add(piece: string): void {
      batch.push(piece);
      size += piece.length;
      if (size >= batchSize) flush();
    },
    flush,
  };
}

/** A count with thousands separators, as Python's `{:,}` writes it. */
export function formatCount(n: number | bigint): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
}
