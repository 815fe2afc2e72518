import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decimalOf, plainText, scaled, wholeOf } from "../../src/telemetry/decimal-rate.js";
import { readLiteLlmPrices } from "../../src/telemetry/litellm-prices.js";

const SNAPSHOT_TEXT = readFileSync(
  join(import.meta.dirname, "..", "fixtures", "pricing", "litellm-snapshot.json"),
  "utf8",
);
const SNAPSHOT = JSON.parse(SNAPSHOT_TEXT) as Record<string, Record<string, unknown>>;

/** The per-1k figure by another road: the exponent of the shortest text moved by 3. */
const thousandfold = (usd: number) =>
  Number(usd.toExponential().replace(/e([+-]\d+)$/, (_, e: string) => `e${Number(e) + 3}`));

describe("decimal rates", () => {
  it.each([
    [2.5e-8, 3, "0.000025"],
    [1.5e-5, 3, "0.015"],
    [3.75e-6, 3, "0.00375"],
    [0.000125, 3, "0.125"],
    [6e-5, 12, "60000000"],
    [1, -6, "0.000001"],
  ])("%s moved %i places is %s (no float drift)", (value, shift, text) => {
    expect(plainText(scaled(decimalOf(value), shift))).toBe(text);
  });

  it.each([
    [3e-6, 3_000_000n],
    [2.5e-8, 25_000n],
    [1.5e-13, undefined],
  ])("%s USD is %s pico-dollars exactly (undefined: not a whole number)", (value, pico) => {
    expect(wholeOf(scaled(decimalOf(value), 12))).toBe(pico);
  });

  it("pads to the decimals asked for, trimming trailing zeros first", () => {
    expect([
      plainText({ digits: 3_000_000n, exponent: -6 }, 2),
      plainText({ digits: 25_000n, exponent: -6 }, 2),
      plainText({ digits: 5n, exponent: 1 }, 0),
    ]).toEqual(["3.00", "0.025", "50"]);
  });
});

describe("readLiteLlmPrices on the snapshot", () => {
  const prices = readLiteLlmPrices(SNAPSHOT_TEXT, "snapshot.json");

  it("keeps Anthropic, OpenAI and Gemini API models and leaves Vertex AI's prices out", () => {
    const vertex = Object.values(SNAPSHOT).filter((e) =>
      String(e.litellm_provider).startsWith("vertex_ai"),
    );
    expect([prices.models.length, prices.otherProviders, vertex.length]).toEqual([165, 28, 28]);
    expect(prices.models.filter((m) => m.id.includes("/"))).toEqual([]);
  });

  it("takes a Gemini model listed as gemini/x and x once, from the gemini/ key", () => {
    const flash = prices.models.filter((m) => m.id === "gemini-flash-latest");
    expect(flash.map((m) => m.key)).toEqual(["gemini/gemini-flash-latest"]);
  });

  it("converts every rate of every model exactly: the decimal point moved, not multiplied", () => {
    const mismatches = prices.models.flatMap((model) => {
      const source = SNAPSHOT[model.key] ?? {};
      const expect1k = (field: string) =>
        source[field] === undefined ? undefined : thousandfold(source[field] as number);
      const expected = {
        input_per_1k: expect1k("input_cost_per_token"),
        output_per_1k: expect1k("output_cost_per_token"),
        cache_read_per_1k: expect1k("cache_read_input_token_cost"),
        cache_write_per_1k: expect1k("cache_creation_input_token_cost"),
      };
      const got = {
        input_per_1k: model.fields.input_per_1k,
        output_per_1k: model.fields.output_per_1k,
        cache_read_per_1k: model.fields.cache_read_per_1k,
        cache_write_per_1k: model.fields.cache_write_per_1k,
      };
      return JSON.stringify(got) === JSON.stringify(expected) ? [] : [[model.key, got, expected]];
    });
    expect(mismatches).toEqual([]);
  });

  it.each([
    // 2.5e-8 * 1000 is 0.000024999999999999998 in floating point.
    ["gemini/gemini-2.0-flash", "gemini-2.0-flash", { cache_read_per_1k: 0.000025 }],
    ["o1", "o1", { input_per_1k: 0.015, output_per_1k: 0.06, cache_read_per_1k: 0.0075 }],
    ["gpt-4o", "gpt-4o", { input_per_1k: 0.0025, output_per_1k: 0.01 }],
  ])("reads %s as %s at %j", (key, id, fields) => {
    expect(prices.models.find((m) => m.key === key)).toMatchObject({ id, fields });
  });

  it("maps the tier fields above 128k, 200k and 272k tokens, in pico-dollars per token", () => {
    const tiers = (key: string) =>
      prices.models.find((m) => m.key === key)?.entry.tiers.map((t) => [t.aboveTokens, t.rates]);
    expect(tiers("claude-sonnet-4-5")).toEqual([
      [
        200_000,
        { input: 6e6, output: 22.5e6, cacheRead: 0.6e6, cacheWrite: 7.5e6, cacheWrite1h: 12e6 },
      ],
    ]);
    expect(tiers("gemini/gemini-exp-1206")?.map(([above]) => above)).toEqual([128_000]);
    expect(tiers("gpt-5.5")?.map(([above]) => above)).toEqual([272_000]);
  });

  it("drops LiteLLM's known-wrong 1-hour cache write of the Claude 3 models (2x input applies)", () => {
    const haiku = prices.models.find((m) => m.id === "claude-3-haiku-20240307");
    expect([haiku?.fields.cache_write_1h_per_1k, haiku?.entry.rates.cacheWrite1h]).toEqual([
      undefined,
      500_000,
    ]);
  });
});

describe("readLiteLlmPrices refuses what it cannot trust, naming the model", () => {
  const file = (entry: Record<string, unknown>) =>
    JSON.stringify({ "gpt-x": { litellm_provider: "openai", mode: "chat", ...entry } });
  const ok = { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 };

  it.each([
    ["{not json", /^f\.json: not JSON \(/],
    ["[1, 2]", /^f\.json: expected LiteLLM's model_prices_and_context_window\.json/],
    [
      file({ ...ok, input_cost_per_token: -1e-6 }),
      /^model "gpt-x": input_cost_per_token is -0\.000001, not a price$/,
    ],
    [
      file({ ...ok, output_cost_per_token: "2e-6" }),
      /^model "gpt-x": output_cost_per_token is "2e-6", not a price$/,
    ],
    [
      file({ ...ok, output_cost_per_token: 15 }),
      /^model "gpt-x": output_cost_per_token is 15 USD per token \(over 0\.01\); not a price$/,
    ],
    [file({ ...ok, cache_read_input_token_cost: 1.5e-13 }), /finer than a pico-dollar$/],
  ])("%s", (text, message) => {
    expect(() => readLiteLlmPrices(text, "f.json")).toThrow(message);
  });

  it("ignores what it does not price: other providers, image modes, no token price, a sample_spec", () => {
    const text = JSON.stringify({
      sample_spec: { litellm_provider: "one of https://docs.litellm.ai/docs/providers" },
      "dall-e-3": {
        litellm_provider: "openai",
        mode: "image_generation",
        input_cost_per_token: -1,
      },
      "bedrock/x": { litellm_provider: "bedrock", input_cost_per_token: "?" },
      "openai/container": { litellm_provider: "openai", code_interpreter_cost_per_session: 0.03 },
      "gpt-x": { litellm_provider: "openai", ...ok },
    });
    const prices = readLiteLlmPrices(text, "f.json");
    expect([prices.models.map((m) => m.id), prices.otherProviders]).toEqual([["gpt-x"], 4]);
  });
});
