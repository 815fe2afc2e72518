import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Static, Type } from "typebox";
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { CodedError } from "../events/errors.js";
import { lazyCompile } from "../events/lazy-compile.js";
import { LONG_CONTEXT_THRESHOLDS } from "./execution-payload.js";
import { readSmallFile } from "./project-paths.js";
import { stderrWarningSink, type TelemetryWarning, type WarningSink } from "./warnings.js";

/** Integer pico-dollars (1e-12 USD) per token: exact for every published rate. */
export interface ModelRates {
  readonly input: number; // pico-USD per uncached input token
  readonly output: number;
  readonly cacheRead: number; // when the table has none: the input rate (see toRates)
  readonly cacheWrite: number; // 5-minute writes; when the table has none: the input rate
  readonly cacheWrite1h: number; // when the table has none: 2x the input rate (see toRates)
}

/** The table entry a model id resolved to: its listed id, its rates and its long-context tiers. */
export interface ResolvedModel {
  readonly id: string;
  readonly rates: ModelRates;
  readonly tiers: readonly PricingTier[];
}

/** How `resolve` found an entry: the step that matched and the listed name (id or alias) it hit. */
export interface Resolution {
  readonly model: ResolvedModel;
  readonly step: "exact" | "alias" | "normalised" | "dateless";
  readonly matched: string;
}

/** Model prices, looked up by the model id an agent reported. */
export interface PricingTable {
  /** The override's date when it has one (always with `inherit: false`), else the shipped one. */
  readonly effective: string | undefined;
  /** Exact id, then an alias, then the normalised form; undefined = unpriced. Memoised per id. */
  resolve(model: string): ResolvedModel | undefined;
}

/**
 * Long-context rates for one request whose prompt exceeds `aboveTokens`, applied to the
 * requests an event recorded above that threshold (one of LONG_CONTEXT_THRESHOLDS).
 */
export interface PricingTier {
  readonly aboveTokens: number;
  readonly rates: ModelRates;
}

/** One model as a pricing file lists it. */
export interface PricingEntry {
  readonly id: string;
  readonly rates: ModelRates;
  readonly aliases: readonly string[];
  readonly tiers: readonly PricingTier[];
  /** Where the prices came from, when `pricing update` wrote the entry (`LiteLLM …, 2026-11-30`). */
  readonly source?: string | undefined;
}

/** A parsed pricing file: a table of its own, plus what laying it over another needs. */
export interface ParsedPricingTable extends PricingTable {
  readonly inherit: boolean;
  readonly entries: readonly PricingEntry[];
  /** `resolve`, saying which step matched (what `pricing show MODEL` prints). */
  explain(model: string): Resolution | undefined;
}

/** Where a project overrides or adds prices, relative to its root. */
export const PRICING_OVERRIDE_PATH = join(".kittify", "pricing.yaml");

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
      models: Type.Record(Type.String(), Type.Unknown()),
    },
    { additionalProperties: false },
  ),
);

/** The rate fields of an entry or tier as a pricing file writes them (USD per 1k tokens). */
export type RateFieldValues = Pick<Static<typeof EntrySchema>, keyof typeof RateFields>;

/** USD per 1k tokens -> pico-USD per token: 1 USD/1k = 1e12 / 1e3 pico per token. */
function picoPerToken(per1k: number): number {
  return Math.round(per1k * 1e9);
}

/** The rates a pricing file's fields mean, absent cache rates filled in as reports fill them. */
export function toRates(fields: RateFieldValues): ModelRates {
  const input = picoPerToken(fields.input_per_1k);
  // A provider that publishes no cache price bills those tokens as ordinary input (no discount,
  // no premium), so the input rate neither hides nor invents cost.
  return {
    input,
    output: picoPerToken(fields.output_per_1k),
    cacheRead:
      fields.cache_read_per_1k === undefined ? input : picoPerToken(fields.cache_read_per_1k),
    cacheWrite:
      fields.cache_write_per_1k === undefined ? input : picoPerToken(fields.cache_write_per_1k),
    // Only Anthropic bills 1-hour writes apart, at 2x input on every model it lists: a table
    // that omits the rate gets that rule rather than the 5-minute rate (an underestimate).
    cacheWrite1h:
      fields.cache_write_1h_per_1k === undefined
        ? 2 * input
        : picoPerToken(fields.cache_write_1h_per_1k),
  };
}

// Normalisation, applied to table names and reported ids alike. Never a prefix or substring
// match: `claude-opus-4` must not price as `claude-opus-4-5`, nor `gpt-5` as `gpt-5-codex`.
const CONTEXT_SUFFIX = /\[\d+[km]\]$/; // Claude Code's `claude-opus-4-6[1m]`
const DIGIT_DOT = /(?<=\d)\.(?=\d)/g; // `claude-opus-4.6` -> `claude-opus-4-6`
const TRAILING_DATE = /-(?:20\d{6}|20\d{2}-\d{2}-\d{2})$/; // `-20250514`, `-2025-05-14`

/** Lower case, no provider path (`openrouter/anthropic/`), no context suffix, `@`/`.` -> `-`. */
export function normalisedKey(id: string): string {
  const lower = id.toLowerCase();
  return lower
    .slice(lower.lastIndexOf("/") + 1)
    .replace(CONTEXT_SUFFIX, "")
    .replaceAll("@", "-")
    .replace(DIGIT_DOT, "-");
}

/** `normalisedKey` without a trailing date (the last resolution step). */
export function datelessKey(id: string): string {
  return normalisedKey(id).replace(TRAILING_DATE, "");
}

/** Which of two names sharing a normalised key wins: undated, then shorter, then code order. */
function outranks(a: string, b: string): boolean {
  const datedA = TRAILING_DATE.test(normalisedKey(a));
  const datedB = TRAILING_DATE.test(normalisedKey(b));
  if (datedA !== datedB) return datedB;
  return a.length !== b.length ? a.length < b.length : a < b;
}

interface Named {
  readonly name: string;
  readonly model: ResolvedModel;
}

function addRanked(index: Map<string, Named>, key: string, named: Named): void {
  const current = index.get(key);
  if (!current || outranks(named.name, current.name)) index.set(key, named);
}

class RateTable implements ParsedPricingTable {
  readonly effective: string | undefined;
  readonly inherit: boolean;
  readonly entries: readonly PricingEntry[];
  readonly #byId = new Map<string, ResolvedModel>();
  readonly #byAlias = new Map<string, ResolvedModel>();
  readonly #byKey = new Map<string, Named>();
  readonly #byDatelessKey = new Map<string, Named>();
  readonly #memo = new Map<string, Resolution | undefined>();

  constructor(effective: string | undefined, inherit: boolean, entries: readonly PricingEntry[]) {
    this.effective = effective;
    this.inherit = inherit;
    this.entries = entries;
    for (const entry of entries) {
      const model: ResolvedModel = { id: entry.id, rates: entry.rates, tiers: entry.tiers };
      this.#byId.set(entry.id, model);
      // Two entries claiming one alias is a file's mistake; the first one listed keeps it.
      for (const alias of entry.aliases) {
        if (!this.#byAlias.has(alias)) this.#byAlias.set(alias, model);
      }
      for (const name of [entry.id, ...entry.aliases]) {
        addRanked(this.#byKey, normalisedKey(name), { name, model });
        addRanked(this.#byDatelessKey, datelessKey(name), { name, model });
      }
    }
  }

  resolve(model: string): ResolvedModel | undefined {
    return this.explain(model)?.model;
  }

  explain(model: string): Resolution | undefined {
    if (this.#memo.has(model)) return this.#memo.get(model);
    this.#memo.set(model, this.#find(model));
    return this.#memo.get(model);
  }

  #find(model: string): Resolution | undefined {
    const exact = this.#byId.get(model);
    if (exact) return { model: exact, step: "exact", matched: model };
    const alias = this.#byAlias.get(model);
    if (alias) return { model: alias, step: "alias", matched: model };
    // The dated key is tried before the dateless one, so `openai/gpt-x-2025-01-01` finds that
    // dated entry when the table lists one with its own price.
    const named = this.#byKey.get(normalisedKey(model));
    if (named) return { model: named.model, step: "normalised", matched: named.name };
    const dateless = this.#byDatelessKey.get(datelessKey(model));
    if (dateless) return { model: dateless.model, step: "dateless", matched: dateless.name };
    return undefined;
  }
}

/** A table of `entries` (what `pricing update` checks its plan against before writing it). */
export function pricingTableOf(
  effective: string | undefined,
  entries: readonly PricingEntry[],
): ParsedPricingTable {
  return new RateTable(effective, true, entries);
}

/**
 * Lays a project's table over the shipped one. Each override entry takes over its id and
 * aliases (compared normalised, so `claude-opus-4.6` replaces `claude-opus-4-6`); with
 * `inherit: false` the override is the whole table.
 */
export function overlay(
  shipped: ParsedPricingTable,
  override: ParsedPricingTable,
): ParsedPricingTable {
  if (!override.inherit) return override;
  const claimed = new Set(
    override.entries.flatMap((e) => [e.id, ...e.aliases]).map((name) => normalisedKey(name)),
  );
  const kept = shipped.entries
    .filter((e) => !claimed.has(normalisedKey(e.id)))
    .map((e) => ({ ...e, aliases: e.aliases.filter((a) => !claimed.has(normalisedKey(a))) }));
  return new RateTable(override.effective ?? shipped.effective, true, [
    ...kept,
    ...override.entries,
  ]);
}

// ---- reading a pricing file ----

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
  return new RateTable(data.effective, data.inherit ?? true, entries);
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

/** An unexpected failure: the pricing table shipped with the package is missing or broken. */
export class PricingTableError extends CodedError<"PRICING_TABLE_UNAVAILABLE"> {
  constructor(message: string) {
    super("PRICING_TABLE_UNAVAILABLE", message);
  }
}

const SHIPPED_TABLE = new URL("./pricing.yaml", import.meta.url);
let shipped: Promise<ParsedPricingTable> | undefined;

async function loadShipped(): Promise<ParsedPricingTable> {
  const problems: string[] = [];
  const text = await readFile(SHIPPED_TABLE, "utf8").catch((e: Error) => {
    throw new PricingTableError(`the shipped pricing table could not be read (${e.message})`);
  });
  const table = parsePricingTable(text, fileURLToPath(SHIPPED_TABLE), (w) =>
    problems.push(w.message),
  );
  if (!table || problems.length > 0) {
    throw new PricingTableError(`the shipped pricing table is invalid: ${problems.join("; ")}`);
  }
  return table;
}

/** The largest override read: a real one is a few kilobytes, and every report parses it. */
export const MAX_PRICING_FILE_BYTES = 1 << 20;

async function readOverride(
  path: string,
  repoRoot: string,
  warn: WarningSink,
): Promise<string | undefined> {
  try {
    // No override (or no .kittify folder at all) is the normal case.
    return (
      (await readSmallFile(path, { root: repoRoot, maxBytes: MAX_PRICING_FILE_BYTES })) ?? undefined
    );
  } catch (e) {
    warn({
      code: "PRICING_FILE_INVALID",
      file: path,
      message: `${path}: could not be read (${(e as Error).message}); ignoring this pricing file`,
    });
    return undefined;
  }
}

/** The tables a report's prices come from: the shipped one, the project's, and the two laid. */
export interface PricingLayers {
  readonly table: ParsedPricingTable;
  readonly shipped: ParsedPricingTable;
  /** The project's `.kittify/pricing.yaml` when it exists and is usable. */
  readonly override: ParsedPricingTable | undefined;
  readonly overridePath: string | undefined;
  /** The override's text as read (undefined: no file), for `pricing update` to edit. */
  readonly overrideText: string | undefined;
}

/** `loadPricingTable`, keeping each layer apart (for `pricing show` and `pricing update`). */
export async function loadPricingLayers(
  repoRoot: string | undefined,
  options: { readonly warn?: WarningSink } = {},
): Promise<PricingLayers> {
  shipped ??= loadShipped();
  const base = await shipped;
  if (repoRoot === undefined) {
    return {
      table: base,
      shipped: base,
      override: undefined,
      overridePath: undefined,
      overrideText: undefined,
    };
  }
  const warn = options.warn ?? stderrWarningSink;
  const path = join(repoRoot, PRICING_OVERRIDE_PATH);
  const text = await readOverride(path, repoRoot, warn);
  const override = text === undefined ? undefined : parsePricingTable(text, path, warn);
  const table = override ? overlay(base, override) : base;
  return { table, shipped: base, override, overridePath: path, overrideText: text };
}

/**
 * The shipped table, overlaid by `<repoRoot>/.kittify/pricing.yaml` when present. Never throws
 * for a bad override (it warns and the shipped prices apply).
 */
export async function loadPricingTable(
  repoRoot: string | undefined,
  options: { readonly warn?: WarningSink } = {},
): Promise<PricingTable> {
  return (await loadPricingLayers(repoRoot, options)).table;
}
