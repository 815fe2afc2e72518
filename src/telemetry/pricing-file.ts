import * as Type from "typebox/type";
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { lazyCompile } from "../events/lazy-compile.js";
import { stringRecord } from "../events/string-record.js";
import { LONG_CONTEXT_THRESHOLDS } from "./execution-payload.js";
import {
  type ParsedPricingTable,
  type PricingEntry,
  pricingTableOf,
  toRates,
} from "./pricing-table.js";
import type { TelemetryWarning, WarningSink } from "./warnings.js";

// Reading a pricing file's YAML. Apart from pricing.ts so that the YAML library is loaded only
// when a file is read: a report from the bundled CLI, with no project override, never does (its
// shipped table is compiled at build time, see pricing-compiled.ts).

// USD per 1k tokens. The cap ($1,000 per 1k) is far above any real price and keeps pico-dollar
// rates, and the sums built from them, well inside safe integers.
const Rate = Type.Number({ minimum: 0, maximum: 1000 });

const RateFields = {
  input_per_1k: Rate,
  output_per_1k: Rate,
  cache_read_per_1k: Type.Optional(Rate),
  cache_write_per_1k: Type.Optional(Rate),
  cache_write_1h_per_1k: Type.Optional(Rate),
};

const EntrySchema = Type.Object(
  {
    ...RateFields,
    aliases: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    source: Type.Optional(Type.String()),
    tiers: Type.Optional(
      Type.Array(
        Type.Object(
          { above_tokens: Type.Integer({ minimum: 1 }), ...RateFields },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
const EntryShape = lazyCompile(EntrySchema);

const FileShape = lazyCompile(
  Type.Object(
    {
      effective: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" })),
      inherit: Type.Optional(Type.Boolean()),
      models: stringRecord(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
);

interface Place {
  readonly line: number;
  readonly column: number;
}

/** The place of the node at `path` (its key's place when `atKey`), or the nearest parent's. */
function placeOf(
  doc: Document,
  lines: LineCounter,
  path: readonly string[],
  atKey = false,
): Place | undefined {
  let node: unknown = doc.contents;
  let start = doc.contents?.range?.[0];
  for (const [i, segment] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!isPair(pair)) break;
      const keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (atKey && i === path.length - 1 && keyStart !== undefined) {
        start = keyStart;
        break;
      }
      next = pair.value;
      start = keyStart ?? start;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    }
    const range = (next as { range?: [number, number, number] } | null | undefined)?.range;
    // An empty value (`gpt-5:` and nothing else) has a zero-width range: point at its key.
    if (!range || range[0] === range[1]) break;
    start = range[0];
    node = next;
  }
  if (start === undefined) return undefined;
  const { line, col } = lines.linePos(start);
  return { line, column: col };
}

interface ShapeError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly message: string;
  readonly params: object;
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The first problem of a value, in words, with the path (below `base`) of where it is. */
function describe(
  error: ShapeError,
  base: readonly string[],
): { text: string; path: string[]; atKey: boolean } {
  const path = [...base, ...pointerSegments(error.instancePath)];
  const field = pointerSegments(error.instancePath).join(".");
  if (error.keyword === "required") {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    return {
      text: `${field ? `${field}: ` : ""}missing ${missing.join(", ")}`,
      path,
      atKey: true,
    };
  }
  if (error.schemaPath.endsWith("/additionalProperties")) {
    return { text: `unknown key "${path.at(-1)}"`, path, atKey: true };
  }
  const message = error.message.replace("must be object", "must be a mapping");
  return { text: field ? `${field} ${message}` : message, path, atKey: false };
}

/** The most telling problem: an unknown key (often a typo) before the missing key it explains. */
function mainProblem(errors: readonly ShapeError[]): ShapeError | undefined {
  return errors.find((e) => e.schemaPath.endsWith("/additionalProperties")) ?? errors[0];
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Builds a table from YAML text (used by loadPricingTable and tests). Warns, naming
 * `file:line:column`, and returns undefined when the file as a whole is unusable (a YAML error,
 * not a mapping, an unknown top-level key, a top-level value of the wrong type); a bad model
 * entry is skipped with a warning and the rest is kept.
 */
export function parsePricingTable(
  text: string,
  file: string,
  warn: WarningSink,
): ParsedPricingTable | undefined {
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares every key with every other (a 1 MiB file took
  // seconds); firstDuplicateKey below does the same job in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const report = (place: Place | undefined, problem: string): void => {
    const where = place ? `${file}:${place.line}:${place.column}` : file;
    const warning: TelemetryWarning = {
      code: "PRICING_FILE_INVALID",
      file,
      message: `${where}: ${problem}`,
      ...(place ? { line: place.line, column: place.column } : {}),
    };
    warn(warning);
  };

  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    report(
      pos ? { line: pos.line, column: pos.col } : undefined,
      `${firstLine(syntax.message)}; ignoring this pricing file`,
    );
    return undefined;
  }
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined) {
    const { line, col } = lines.linePos(duplicate);
    report({ line, column: col }, "Map keys must be unique; ignoring this pricing file");
    return undefined;
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // yaml refuses to expand an alias bomb here; a bad override must warn, never throw.
    report({ line: 1, column: 1 }, `${(e as Error).message}; ignoring this pricing file`);
    return undefined;
  }
  if (!FileShape.Check(data)) {
    const first = mainProblem(FileShape.Errors(data));
    const problem = first
      ? describe(first, [])
      : { text: "not a pricing file", path: [], atKey: false };
    const text =
      problem.path.length === 0 && !isMap(doc.contents)
        ? "expected a mapping with a `models` key"
        : problem.text;
    report(
      placeOf(doc, lines, problem.path, problem.atKey) ?? { line: 1, column: 1 },
      `${text}; ignoring this pricing file`,
    );
    return undefined;
  }

  const entries: PricingEntry[] = [];
  // Each skipped model is named up to a point; a file with thousands of bad entries is one more
  // line, not thousands (and finding each one's place would take quadratic time).
  let skipped = 0;
  const reportEntry = (path: readonly string[], atKey: boolean, problem: string): void => {
    if (++skipped <= MAX_ENTRY_WARNINGS) report(placeOf(doc, lines, path, atKey), problem);
  };
  for (const [id, value] of Object.entries(data.models)) {
    if (id.trim() === "") {
      reportEntry(["models", id], true, "a model id is empty; skipping it");
      continue;
    }
    if (!EntryShape.Check(value)) {
      const first = mainProblem(EntryShape.Errors(value));
      const problem = first
        ? describe(first, ["models", id])
        : { text: "invalid", path: ["models", id], atKey: false };
      reportEntry(
        problem.path,
        problem.atKey,
        `model "${id}": ${problem.text}; skipping this model`,
      );
      continue;
    }
    for (const [i, tier] of (value.tiers ?? []).entries()) {
      if ((LONG_CONTEXT_THRESHOLDS as readonly number[]).includes(tier.above_tokens)) continue;
      report(
        placeOf(doc, lines, ["models", id, "tiers", String(i), "above_tokens"]),
        `model "${id}": events record long-context usage above ${LONG_CONTEXT_THRESHOLDS.join(", ")} tokens only; the tier above ${tier.above_tokens} is never applied`,
      );
    }
    entries.push({
      id,
      rates: toRates(value),
      aliases: value.aliases ?? [],
      tiers: (value.tiers ?? []).map((t) => ({ aboveTokens: t.above_tokens, rates: toRates(t) })),
      source: value.source,
    });
  }
  if (skipped > MAX_ENTRY_WARNINGS) {
    report(undefined, `${skipped - MAX_ENTRY_WARNINGS} more invalid models skipped`);
  }
  return pricingTableOf(data.effective, entries, data.inherit ?? true);
}

const MAX_ENTRY_WARNINGS = 10;

/** Where the first key repeated within one mapping starts, anywhere in the document. */
function firstDuplicateKey(doc: Document): number | undefined {
  const pending: unknown[] = [doc.contents];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) return (pair.key as { range?: [number, number, number] }).range?.[0];
        seen.add(key);
        pending.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) pending.push(item);
    }
  }
  return undefined;
}
