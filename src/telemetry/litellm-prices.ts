import * as Type from "typebox/type";
import { CodedError } from "../events/errors.js";
import { lazyCompile } from "../events/lazy-compile.js";
import { type Decimal, decimalOf, plainText, scaled, wholeOf } from "./decimal-rate.js";
import { LONG_CONTEXT_THRESHOLDS } from "./execution-payload.js";
import { type PricingEntry, type RateFieldValues, toRates } from "./pricing.js";

/** A LiteLLM price file that cannot be used: nothing is written from it. */
export class LiteLlmPricesError extends CodedError<"LITELLM_PRICES_INVALID"> {
  constructor(message: string) {
    super("LITELLM_PRICES_INVALID", message);
  }
}

/** One model of the file as our pricing file would list it. */
export interface LiteLlmModel {
  /** Our id: LiteLLM's key without its provider path (`gemini/gemini-3-pro` -> `gemini-3-pro`). */
  readonly id: string;
  readonly key: string;
  /** The entry as `.kittify/pricing.yaml` writes it: exact decimals, USD per 1k tokens. */
  readonly fields: RateFieldValues & { tiers?: (RateFieldValues & { above_tokens: number })[] };
  readonly entry: PricingEntry;
}

export interface LiteLlmPrices {
  readonly models: readonly LiteLlmModel[];
  /** Entries left out: another provider, a non-text mode, or no per-token input and output price. */
  readonly otherProviders: number;
}

// The providers whose list prices the agents pay: Claude through Anthropic's API, Codex through
// OpenAI's, the Gemini CLI through the Gemini API (LiteLLM's `gemini/` keys; the bare `gemini-*`
// and `vertex_ai/*` keys are Vertex AI's prices, which differ).
const PROVIDERS = new Set(["anthropic", "openai", "gemini"]);
const TEXT_MODES = new Set(["chat", "responses"]);

// Our field <- LiteLLM's, per token; a tier's LiteLLM field adds `_above_<k>k_tokens`.
const FIELD_MAP = [
  ["input_per_1k", "input_cost_per_token"],
  ["output_per_1k", "output_cost_per_token"],
  ["cache_read_per_1k", "cache_read_input_token_cost"],
  ["cache_write_per_1k", "cache_creation_input_token_cost"],
  ["cache_write_1h_per_1k", "cache_creation_input_token_cost_above_1hr"],
] as const satisfies readonly (readonly [keyof RateFieldValues, string])[];

// LiteLLM lists Sonnet's 1-hour write (6e-06) for these two; the real rate is 2x input, which is
// what an absent rate means here. A corrected upstream value is taken as it is.
const KNOWN_WRONG_1H: Readonly<Record<string, number>> = {
  "claude-3-haiku-20240307": 6e-6,
  "claude-3-opus-20240229": 6e-6,
};

// USD per token. The most expensive list price today is $0.0006 (o1-pro output); a figure past
// this is a unit mistake (USD per million written as per token), not a price.
const MAX_USD_PER_TOKEN = 0.01;

const Entry = lazyCompile(
  Type.Object({
    litellm_provider: Type.Optional(Type.String()),
    mode: Type.Optional(Type.String()),
  }),
);

/** USD per token -> our per-1k decimal, refusing what cannot be a price. */
function per1k(usd: unknown, key: string, field: string): number {
  if (typeof usd !== "number" || !Number.isFinite(usd) || usd < 0) {
    throw new LiteLlmPricesError(`model "${key}": ${field} is ${JSON.stringify(usd)}, not a price`);
  }
  if (usd > MAX_USD_PER_TOKEN) {
    throw new LiteLlmPricesError(
      `model "${key}": ${field} is ${usd} USD per token (over ${MAX_USD_PER_TOKEN}); not a price`,
    );
  }
  const exact: Decimal = decimalOf(usd);
  if (wholeOf(scaled(exact, 12)) === undefined) {
    throw new LiteLlmPricesError(
      `model "${key}": ${field} is ${usd} USD per token, finer than a pico-dollar`,
    );
  }
  // Moving the decimal point, not multiplying a double: 2.5e-8 * 1000 is 2.5000000000000002e-5.
  return Number(plainText(scaled(exact, 3)));
}

function rateFields(
  raw: Readonly<Record<string, unknown>>,
  key: string,
  suffix: string,
): RateFieldValues | undefined {
  const fields: Partial<Record<keyof RateFieldValues, number>> = {};
  for (const [ours, theirs] of FIELD_MAP) {
    const name = `${theirs}${suffix}`;
    if (raw[name] === undefined || raw[name] === null) continue;
    if (ours === "cache_write_1h_per_1k" && KNOWN_WRONG_1H[key] === raw[name]) continue;
    fields[ours] = per1k(raw[name], key, name);
  }
  const { input_per_1k, output_per_1k } = fields;
  if (input_per_1k === undefined || output_per_1k === undefined) return undefined;
  return { ...fields, input_per_1k, output_per_1k };
}

/** Our id for a LiteLLM key, or undefined when the entry is not a text model we price. */
function idOf(key: string, raw: unknown): string | undefined {
  if (!Entry.Check(raw)) return undefined;
  const provider = raw.litellm_provider;
  if (provider === undefined || !PROVIDERS.has(provider)) return undefined;
  if (raw.mode !== undefined && !TEXT_MODES.has(raw.mode)) return undefined;
  const prefix = `${provider}/`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

/**
 * The models of LiteLLM's `model_prices_and_context_window.json` (USD per token) as entries of
 * our table (USD per 1k, exact decimals). Throws LiteLlmPricesError, naming the model, for a
 * file of the wrong shape or a rate that cannot be a price.
 */
export function readLiteLlmPrices(text: string, source: string): LiteLlmPrices {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LiteLlmPricesError(`${source}: not JSON (${(e as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new LiteLlmPricesError(
      `${source}: expected LiteLLM's model_prices_and_context_window.json (an object of models)`,
    );
  }
  const models = new Map<string, LiteLlmModel>();
  let otherProviders = 0;
  for (const [key, raw] of Object.entries(data)) {
    const id = idOf(key, raw);
    if (id === undefined) {
      otherProviders++;
      continue;
    }
    const record = raw as Readonly<Record<string, unknown>>;
    const base = rateFields(record, key, "");
    if (base === undefined) {
      // Not priced per token (a container, a subscription-only model): nothing to write.
      otherProviders++;
      continue;
    }
    const tiers = LONG_CONTEXT_THRESHOLDS.flatMap((above) => {
      const suffix = `_above_${above / 1000}k_tokens`;
      if (record[`input_cost_per_token${suffix}`] === undefined) return [];
      // A tier that repeats no output price keeps the base one (LiteLLM lists only what changes).
      const output = `output_cost_per_token${suffix}`;
      const tier = { ...record, [output]: record[output] ?? record.output_cost_per_token };
      const fields = rateFields(tier, key, suffix);
      return fields ? [{ above_tokens: above, ...fields }] : [];
    });
    const fields = tiers.length > 0 ? { ...base, tiers } : base;
    // `gemini/x` and a bare `x` of the same provider are one model: the provider's key wins.
    if (models.get(id)?.key.includes("/")) continue;
    models.set(id, {
      id,
      key,
      fields,
      entry: {
        id,
        rates: toRates(base),
        aliases: [],
        tiers: tiers.map((t) => ({ aboveTokens: t.above_tokens, rates: toRates(t) })),
      },
    });
  }
  return { models: [...models.values()], otherProviders };
}
