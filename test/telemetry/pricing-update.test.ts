import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLiteLlmPrices } from "../../src/telemetry/litellm-prices.js";
import {
  loadPricingLayers,
  overlay,
  type PricingEntry,
  pricingTableOf,
} from "../../src/telemetry/pricing.js";
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

  it("writes the alias of a model it changes when the source lists the alias at the old price", async () => {
    const snapshot = JSON.parse(
      readFileSync(
        join(import.meta.dirname, "..", "fixtures", "pricing", "litellm-snapshot.json"),
        "utf8",
      ),
    ) as Record<string, Record<string, unknown>>;
    // Taking over gemini-3.1-pro-preview drops its shipped alias ...-customtools (a longer id,
    // so looked at after): listed at the shipped price, it is written as a model of its own.
    const result = await plan({
      "gemini/gemini-3.1-pro-preview": {
        ...snapshot["gemini/gemini-3.1-pro-preview"],
        input_cost_per_token: 9e-6,
      },
      "gemini/gemini-3.1-pro-preview-customtools":
        snapshot["gemini/gemini-3.1-pro-preview-customtools"],
    });
    expect([result.changed.map((m) => [m.id, m.old.id]), result.added]).toEqual([
      [
        ["gemini-3.1-pro-preview", "gemini-3.1-pro-preview"],
        ["gemini-3.1-pro-preview-customtools", "gemini-3.1-pro-preview"],
      ],
      [],
    ]);
  });

  it("writes a new file with a header saying which entries it may replace", async () => {
    const text = applyPricingUpdate(undefined, await plan({ "gpt-x": openai(1e-6, 2e-6) }), "S");
    expect(text).toMatch(
      /^# This project's model prices[\s\S]*never overwritten\.\n\nmodels:\n {2}gpt-x:\n {4}source: S\n {4}input_per_1k: 0\.001\n {4}output_per_1k: 0\.002\n$/,
    );
  });

  // The plan checks each model against the table with the models before it written; it lays
  // them anew only where they can change the answer. Laying them anew every time must agree.
  it("agrees with laying the planned models over the table anew for every model", async () => {
    const snapshot = JSON.parse(
      readFileSync(
        join(import.meta.dirname, "..", "fixtures", "pricing", "litellm-snapshot.json"),
        "utf8",
      ),
    ) as Record<string, Record<string, unknown>>;
    // Every third model at a new price (so shipped entries and their aliases are taken over),
    // plus a dated spelling of each model at the same price.
    const source = Object.fromEntries(
      Object.entries(snapshot).flatMap(([key, entry], i) => {
        const priced = i % 3 === 0 ? { ...entry, input_cost_per_token: 9e-6 } : entry;
        return [
          [key, priced],
          [`${key}-20260101`, priced],
        ];
      }),
    );
    const layers = await loadPricingLayers(undefined);
    const prices = readLiteLlmPrices(JSON.stringify(source), "s.json");
    const fast = planPricingUpdate(layers, prices);
    // The plain way: the whole table laid anew after each written model.
    const written: PricingEntry[] = [];
    const decisions = [...prices.models]
      .sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : 1))
      .map((model) => {
        const now = overlay(layers.table, pricingTableOf(undefined, written)).resolve(model.id);
        const same =
          now &&
          JSON.stringify([now.rates, now.tiers]) ===
            JSON.stringify([model.entry.rates, model.entry.tiers]);
        if (!same) written.push(model.entry);
        return same ? "unchanged" : model.id;
      });
    const plainWritten = decisions.filter((d) => d !== "unchanged").sort();
    expect([[...fast.added, ...fast.changed].map((m) => m.id).sort(), fast.unchanged]).toEqual([
      plainWritten,
      decisions.length - plainWritten.length,
    ]);
    expect(fast.changed.length).toBeGreaterThan(10);
  });
});
