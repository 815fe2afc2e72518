import { describe, expect, it } from "vitest";
import { readLiteLlmPrices } from "../../src/telemetry/litellm-prices.js";
import { loadPricingLayers } from "../../src/telemetry/pricing.js";
import { applyPricingUpdate, planPricingUpdate } from "../../src/telemetry/pricing-update.js";

const openai = (input: number, output: number) => ({
  litellm_provider: "openai",
  mode: "chat",
  input_cost_per_token: input,
  output_cost_per_token: output,
});

async function plan(source: Record<string, unknown>) {
  const layers = await loadPricingLayers(undefined);
  return planPricingUpdate(layers, readLiteLlmPrices(JSON.stringify(source), "s.json"));
}

describe("planPricingUpdate", () => {
  it.each<[string, Record<string, unknown>, string[], number]>([
    [
      "a dated id at its undated model's prices is not written again",
      { "gpt-x-2026-01-01": openai(1e-6, 2e-6), "gpt-x": openai(1e-6, 2e-6) },
      ["gpt-x"],
      1,
    ],
    [
      "a dated id at other prices is written too",
      { "gpt-x-2026-01-01": openai(1e-6, 3e-6), "gpt-x": openai(1e-6, 2e-6) },
      ["gpt-x", "gpt-x-2026-01-01"],
      0,
    ],
    [
      "a shipped model at the shipped prices is unchanged, also spelled otherwise",
      {
        "gpt-5": { ...openai(1.25e-6, 1e-5), cache_read_input_token_cost: 1.25e-7 },
        "openai/gpt-5.1": { ...openai(1.25e-6, 1e-5), cache_read_input_token_cost: 1.25e-7 },
      },
      [],
      2,
    ],
  ])("%s", async (_, source, written, unchanged) => {
    const result = await plan(source);
    expect([[...result.added, ...result.changed].map((m) => m.id), result.unchanged]).toEqual([
      written,
      unchanged,
    ]);
  });

  it("writes a new file with a header saying which entries it may replace", async () => {
    const text = applyPricingUpdate(undefined, await plan({ "gpt-x": openai(1e-6, 2e-6) }), "S");
    expect(text).toMatch(
      /^# This project's model prices[\s\S]*never overwritten\.\n\nmodels:\n {2}gpt-x:\n {4}source: S\n {4}input_per_1k: 0\.001\n {4}output_per_1k: 0\.002\n$/,
    );
  });
});
