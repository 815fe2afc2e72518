import { join } from "node:path";

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

/** The rate fields of an entry or tier as a pricing file writes them (USD per 1k tokens). */
export interface RateFieldValues {
  readonly input_per_1k: number;
  readonly output_per_1k: number;
  readonly cache_read_per_1k?: number | undefined;
  readonly cache_write_per_1k?: number | undefined;
  readonly cache_write_1h_per_1k?: number | undefined;
}

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

/**
 * A table of `entries` (what `pricing update` checks its plan against before writing it; what
 * a pricing file or the compiled shipped table is read into).
 */
export function pricingTableOf(
  effective: string | undefined,
  entries: readonly PricingEntry[],
  inherit = true,
): ParsedPricingTable {
  return new RateTable(effective, inherit, entries);
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
