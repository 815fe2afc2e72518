import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadPricingTable,
  type ModelRates,
  type ParsedPricingTable,
  type PricingTier,
} from "../../src/telemetry/pricing.js";
import { parsePricingTable } from "../../src/telemetry/pricing-file.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

const SHIPPED_FILE = join(import.meta.dirname, "..", "..", "src", "telemetry", "pricing.yaml");
const SHIPPED_TEXT = readFileSync(SHIPPED_FILE, "utf8");

// The LiteLLM entries the shipped table is built from (see test/fixtures/SOURCES.md).
type LiteLlmEntry = Readonly<Record<string, number | string | undefined>>;
const LITELLM = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "..", "fixtures", "pricing", "litellm-entries.json"),
    "utf8",
  ),
) as Record<string, LiteLlmEntry>;
// Entries whose 1-hour cache-write price is Sonnet's copied over (SOURCES.md of the snapshot).
const WRONG_1H = [LITELLM["claude-3-haiku-20240307"], LITELLM["claude-3-opus-20240229"]];

function collector() {
  const warnings: TelemetryWarning[] = [];
  return { warnings, warn: (w: TelemetryWarning) => void warnings.push(w) };
}

function shipped(): ParsedPricingTable {
  const table = parsePricingTable(SHIPPED_TEXT, SHIPPED_FILE, collector().warn);
  if (!table) throw new Error("the shipped table does not parse");
  return table;
}

/** A fresh project root with `.kittify/pricing.yaml` holding `text`. */
async function projectWith(text: string): Promise<{ root: string; file: string }> {
  const root = await tempDir();
  await mkdir(join(root, ".kittify"), { recursive: true });
  const file = join(root, ".kittify", "pricing.yaml");
  await writeFile(file, text);
  return { root, file };
}

/** USD per token (LiteLLM's unit) -> pico-USD per token. */
const pico = (usdPerToken: number): number => Math.round(usdPerToken * 1e12);

/** Our reading of a LiteLLM entry: absent cache prices fall back to the input price. */
function litellmRates(entry: LiteLlmEntry, suffix = ""): ModelRates {
  const usd = (key: string) => entry[`${key}${suffix}`] as number | undefined;
  const input = pico(usd("input_cost_per_token") ?? Number.NaN);
  const cache = (key: string) => {
    const value = usd(key);
    return value === undefined ? input : pico(value);
  };
  return {
    input,
    output: pico(usd("output_cost_per_token") ?? Number.NaN),
    cacheRead: cache("cache_read_input_token_cost"),
    cacheWrite: cache("cache_creation_input_token_cost"),
    // LiteLLM's 1-hour rate, but for the two entries where it is known wrong (see the yaml).
    cacheWrite1h:
      usd("cache_creation_input_token_cost_above_1hr") === undefined || WRONG_1H.includes(entry)
        ? 2 * input
        : pico(usd("cache_creation_input_token_cost_above_1hr") ?? Number.NaN),
  };
}

function litellmTiers(entry: LiteLlmEntry): PricingTier[] {
  return [128, 200, 272]
    .filter((k) => entry[`input_cost_per_token_above_${k}k_tokens`] !== undefined)
    .map((k) => ({ aboveTokens: k * 1000, rates: litellmRates(entry, `_above_${k}k_tokens`) }));
}

/** Gemini prices are the Gemini API's (`gemini/` keys); everything else has LiteLLM's bare key. */
function litellmEntry(name: string): LiteLlmEntry | undefined {
  return LITELLM[name.startsWith("gemini-") ? `gemini/${name}` : name];
}

const rates = (
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  cacheWrite1h = 2 * input,
) => ({
  input: pico(input),
  output: pico(output),
  cacheRead: pico(cacheRead),
  cacheWrite: pico(cacheWrite),
  cacheWrite1h: pico(cacheWrite1h),
});

describe("the shipped table", () => {
  it("parses without warnings and is dated from the LiteLLM snapshot", () => {
    const { warnings, warn } = collector();
    const table = parsePricingTable(SHIPPED_TEXT, SHIPPED_FILE, warn);
    expect([warnings, table?.effective, table?.entries.length]).toEqual([[], "2026-07-18", 56]);
  });

  // Figures as the snapshot states them (USD per token); the last one is the input rate when
  // the snapshot has no cache-write price (o3-pro: no cache-read price either).
  it.each([
    ["claude-opus-4-6", 5e-6, 2.5e-5, 5e-7, 6.25e-6],
    ["claude-sonnet-4-5", 3e-6, 1.5e-5, 3e-7, 3.75e-6],
    ["claude-haiku-4-5", 1e-6, 5e-6, 1e-7, 1.25e-6],
    ["claude-3-haiku-20240307", 2.5e-7, 1.25e-6, 3e-8, 3e-7],
    ["claude-fable-5", 1e-5, 5e-5, 1e-6, 1.25e-5],
    ["gpt-5-codex", 1.25e-6, 1e-5, 1.25e-7, 1.25e-6],
    ["gpt-5.1-codex-mini", 2.5e-7, 2e-6, 2.5e-8, 2.5e-7],
    ["gpt-5.2-codex", 1.75e-6, 1.4e-5, 1.75e-7, 1.75e-6],
    ["gpt-5.6", 5e-6, 3e-5, 5e-7, 6.25e-6],
    ["gpt-4.1-nano", 1e-7, 4e-7, 2.5e-8, 1e-7],
    ["o4-mini", 1.1e-6, 4.4e-6, 2.75e-7, 1.1e-6],
    ["o3-pro", 2e-5, 8e-5, 2e-5, 2e-5],
    ["gemini-2.5-pro", 1.25e-6, 1e-5, 1.25e-7, 1.25e-6],
    ["gemini-3-flash-preview", 5e-7, 3e-6, 5e-8, 5e-7],
    ["gemini-3.1-flash-lite", 2.5e-7, 1.5e-6, 2.5e-8, 2.5e-7],
  ])("prices %s as the snapshot does", (id, input, output, cacheRead, cacheWrite) => {
    expect(shipped().resolve(id)).toMatchObject({
      id,
      rates: rates(input, output, cacheRead, cacheWrite),
    });
  });

  // Retired models LiteLLM no longer lists; priced from Anthropic's list prices (see the yaml).
  const NOT_IN_SNAPSHOT = ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"];

  it.each<[string, number, number, number, number]>([
    ["claude-3-5-sonnet-20241022", 3e-6, 1.5e-5, 3e-7, 3.75e-6],
    ["claude-3-5-haiku-20241022", 8e-7, 4e-6, 8e-8, 1e-6],
  ])("prices %s at Anthropic's list price", (id, input, output, cacheRead, cacheWrite) => {
    expect(shipped().resolve(id)).toMatchObject({
      id,
      rates: rates(input, output, cacheRead, cacheWrite),
    });
  });

  it("matches its LiteLLM entry exactly for every model, base rates and tiers", () => {
    const entries = shipped().entries.filter((e) => !NOT_IN_SNAPSHOT.includes(e.id));
    const expected = entries.map(({ id }) => {
      const source = litellmEntry(id) ?? {};
      return { id, rates: litellmRates(source), tiers: litellmTiers(source) };
    });
    expect(entries.map(({ id, rates, tiers }) => ({ id, rates, tiers }))).toEqual(expected);
  });

  it("lists as aliases only LiteLLM keys with the same prices (or Anthropic's own aliases)", () => {
    const anthropicAliases = ["claude-3-7-sonnet-latest", "claude-sonnet-4-0", "claude-opus-4-0"];
    const inSnapshot = shipped().entries.filter((e) => !NOT_IN_SNAPSHOT.includes(e.id));
    const mismatched = inSnapshot.flatMap((entry) =>
      entry.aliases
        .filter((alias) => !anthropicAliases.includes(alias))
        .filter((alias) => {
          const source = litellmEntry(alias) ?? {};
          return (
            JSON.stringify([litellmRates(source), litellmTiers(source)]) !==
            JSON.stringify([entry.rates, entry.tiers])
          );
        }),
    );
    expect(mismatched).toEqual([]);
  });

  it("writes every rate as a plain decimal that converts to whole pico-dollars exactly", () => {
    const literals = [...SHIPPED_TEXT.matchAll(/_per_1k: (\S+)$/gm)].map((m) => m[1] ?? "");
    const inexact = literals.filter((text) => {
      const value = Number(text);
      return String(value) !== text || Math.round(value * 1e9) / 1e9 !== value;
    });
    expect([literals.length > 150, inexact]).toEqual([true, []]);
  });

  it("resolves every id and alias, also prefixed and upper-cased, to its own entry", () => {
    const table = shipped();
    const names = table.entries.flatMap((e) => [e.id, ...e.aliases].map((name) => [name, e.id]));
    const resolved = names.map(([name]) => [
      name,
      table.resolve(`openrouter/${name?.toUpperCase()}`)?.id,
    ]);
    expect(resolved).toEqual(names);
  });
});

describe("resolve", () => {
  it.each([
    ["claude-opus-4-6", "claude-opus-4-6"],
    ["claude-opus-4.6", "claude-opus-4-6"],
    ["anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"],
    ["Claude-Sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["claude-sonnet-4-5@20250929", "claude-sonnet-4-5"],
    ["vertex_ai/claude-opus-4-5@20251101", "claude-opus-4-5"],
    ["openrouter/anthropic/claude-opus-4.6", "claude-opus-4-6"],
    ["claude-opus-4-6[1m]", "claude-opus-4-6"],
    ["claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5"],
    ["claude-opus-4-6-2026-02-05", "claude-opus-4-6"],
    ["claude-opus-4", "claude-opus-4-20250514"],
    ["claude-opus-4-0", "claude-opus-4-20250514"],
    ["claude-4-sonnet-20250514", "claude-sonnet-4-20250514"],
    ["gpt-5", "gpt-5"],
    ["gpt-5-codex", "gpt-5-codex"],
    ["gpt-5-2025-08-07", "gpt-5"],
    ["openai/gpt-5.1-codex-max", "gpt-5.1-codex-max"],
    ["GPT-4.1", "gpt-4.1"],
    ["o4-mini-2025-04-16", "o4-mini"],
    ["gemini/gemini-2.5-pro", "gemini-2.5-pro"],
    ["google/gemini-3-pro-preview", "gemini-3-pro-preview"],
    ["gemini-3.1-pro-preview-customtools", "gemini-3.1-pro-preview"],
  ])("resolves %s to %s", (model, id) => {
    expect(shipped().resolve(model)?.id).toBe(id);
  });

  it.each([
    ["an invented model", "acme-coder-9"],
    ["a newer Opus than the table knows", "claude-opus-4-9"],
    ["a family name without a version", "claude-opus"],
    ["a base model only its codex variant is listed for", "gpt-5.3"],
    ["a codex variant that does not exist", "gpt-5-codex-mini"],
    ["a version prefix of a Gemini model", "gemini-2.5"],
    ["Claude Code's placeholder", "<synthetic>"],
    ["the empty id", ""],
  ])("leaves %s unpriced (%s)", (_, model) => {
    expect(shipped().resolve(model)).toBeUndefined();
  });

  it("prices claude-opus-4-6 and claude-opus-4.6 identically", () => {
    const table = shipped();
    expect(table.resolve("claude-opus-4.6")?.rates).toEqual(
      table.resolve("claude-opus-4-6")?.rates,
    );
  });

  it("never gives claude-opus-4 the prices of claude-opus-4-5", () => {
    const table = shipped();
    expect([
      table.resolve("claude-opus-4")?.rates,
      table.resolve("claude-opus-4-5")?.rates,
    ]).toEqual([rates(1.5e-5, 7.5e-5, 1.5e-6, 1.875e-5), rates(5e-6, 2.5e-5, 5e-7, 6.25e-6)]);
  });

  it.each([
    ["claude-opus-4-5", "claude-opus-4"],
    ["claude-opus-4-5", "claude-opus-4-5-1"],
    ["gpt-5", "gpt-5-codex"],
    ["gpt-5-codex", "gpt-5"],
    ["gpt-5.1-codex", "gpt-5.1-codex-max"],
  ])("with only %s listed, leaves %s unpriced (no prefix matching)", (listed, model) => {
    const table = parsePricingTable(
      `models:\n  ${listed}: {input_per_1k: 1, output_per_1k: 1}\n`,
      "t.yaml",
      collector().warn,
    );
    expect([table?.resolve(listed)?.id, table?.resolve(model)]).toEqual([listed, undefined]);
  });

  it("prices one id as another when the table says so with an alias", () => {
    const table = parsePricingTable(
      "models:\n  gpt-5:\n    input_per_1k: 1\n    output_per_1k: 2\n    aliases: [gpt-5-codex]\n",
      "t.yaml",
      collector().warn,
    );
    expect(table?.resolve("openai/gpt-5-codex")?.id).toBe("gpt-5");
  });

  const CONFLICTS = [
    "models:",
    "  acme-1: {input_per_1k: 0.001, output_per_1k: 0.001}",
    "  acme-1-20250101: {input_per_1k: 0.002, output_per_1k: 0.002}",
    "  acme-2-20250101: {input_per_1k: 0.003, output_per_1k: 0.003}",
    "  acme-2-20250601: {input_per_1k: 0.004, output_per_1k: 0.004}",
    "  acme-3.5: {input_per_1k: 0.005, output_per_1k: 0.005}",
    "  acme-3-5: {input_per_1k: 0.006, output_per_1k: 0.006}",
    "  beta-1: {input_per_1k: 0.007, output_per_1k: 0.007, aliases: [acme-1-20260101]}",
  ].join("\n");

  it.each([
    ["acme-1-20250101", "acme-1-20250101", "an exact id beats normalisation"],
    ["acme-1-20260101", "beta-1", "an exact alias beats normalisation"],
    ["vendor/ACME-1-20250101", "acme-1-20250101", "a dated form finds its own dated entry"],
    ["acme-1-20991231", "acme-1", "an unknown date falls back to the undated entry"],
    ["acme-2", "acme-2-20250101", "among dated entries only, the first in code order"],
    ["ACME-3.5", "acme-3-5", "same length, then code order ('-' before '.')"],
  ])("resolves %s to %s: %s", (model, id) => {
    expect(parsePricingTable(CONFLICTS, "t.yaml", collector().warn)?.resolve(model)?.id).toBe(id);
  });
});

// The Python spec-kitty's table, per 1k tokens, with `inherit: false`.
const PYTHON_TABLE = readFileSync(
  join(import.meta.dirname, "..", "fixtures", "pricing", "python-table.yaml"),
  "utf8",
);

describe("loadPricingTable", () => {
  it("without a project is the shipped table", async () => {
    const table = await loadPricingTable(undefined);
    expect([table.effective, table.resolve("claude-opus-4.6")]).toEqual([
      "2026-07-18",
      { id: "claude-opus-4-6", rates: rates(5e-6, 2.5e-5, 5e-7, 6.25e-6), tiers: [] },
    ]);
  });

  it.each([
    ["no .kittify folder", async (_root: string) => {}],
    ["an empty .kittify folder", (root: string) => mkdir(join(root, ".kittify"))],
    ["a .kittify file", (root: string) => writeFile(join(root, ".kittify"), "")],
  ])("with %s is the shipped table, silently", async (_, setUp) => {
    const root = await tempDir();
    await setUp(root);
    const { warnings, warn } = collector();
    const table = await loadPricingTable(root, { warn });
    expect([warnings, table.resolve("gpt-5-codex")?.rates.output]).toEqual([[], pico(1e-5)]);
  });

  it("adds a model from the override and keeps the shipped ones", async () => {
    const { root } = await projectWith(
      "models:\n  acme-coder-9:\n    input_per_1k: 0.001\n    output_per_1k: 0.002\n",
    );
    const table = await loadPricingTable(root, { warn: collector().warn });
    expect([
      table.effective,
      table.resolve("acme-coder-9"),
      table.resolve("claude-opus-4-6")?.id,
    ]).toEqual([
      "2026-07-18",
      { id: "acme-coder-9", rates: rates(1e-6, 2e-6, 1e-6, 1e-6), tiers: [] },
      "claude-opus-4-6",
    ]);
  });

  it.each([
    ["the same id", "claude-opus-4-6", "claude-opus-4-6-20260205"],
    ["another spelling of the id", "claude-opus-4.6", "anthropic/claude-opus-4-6"],
  ])("replaces a shipped model's whole entry with one listed under %s", async (_, id, other) => {
    const { root } = await projectWith(
      `effective: 2026-08-01\nmodels:\n  ${id}: {input_per_1k: 0.004, output_per_1k: 0.02}\n`,
    );
    const table = await loadPricingTable(root, { warn: collector().warn });
    const contract = { id, rates: rates(4e-6, 2e-5, 4e-6, 4e-6), tiers: [] };
    expect([
      table.effective,
      table.resolve("claude-opus-4-6"),
      table.resolve(other),
      table.resolve("claude-opus-4-7")?.rates.input,
    ]).toEqual(["2026-08-01", contract, contract, pico(5e-6)]);
  });

  it.each([
    ["claude-sonnet-4-20250514", 0.003, 0.015],
    ["claude-opus-4-20250514", 0.015, 0.075],
    ["claude-haiku-3-5-20241022", 0.0008, 0.004],
    ["gpt-4.1", 0.002, 0.008],
    ["gpt-4.1-mini", 0.0004, 0.0016],
    ["gpt-4.1-nano", 0.0001, 0.0004],
    ["gemini-2.5-pro", 0.00125, 0.01],
    ["gemini-2.5-flash", 0.00015, 0.0035],
  ])(
    "with inherit: false and the Python table, prices %s at %s / %s per 1k",
    async (id, input, output) => {
      const { root } = await projectWith(PYTHON_TABLE);
      const table = await loadPricingTable(root, { warn: collector().warn });
      const perToken = { input: pico(input / 1000), output: pico(output / 1000) };
      expect(table.resolve(id)).toEqual({
        id,
        rates: {
          ...perToken,
          cacheRead: perToken.input,
          cacheWrite: perToken.input,
          cacheWrite1h: 2 * perToken.input,
        },
        tiers: [],
      });
    },
  );

  it("with inherit: false drops every shipped model", async () => {
    const { root } = await projectWith(PYTHON_TABLE);
    const { warnings, warn } = collector();
    const table = await loadPricingTable(root, { warn });
    expect([
      warnings,
      table.effective,
      table.resolve("claude-opus-4-6"),
      table.resolve("gpt-5-codex"),
    ]).toEqual([[], undefined, undefined, undefined]);
  });

  const good = "  acme-coder-9: {input_per_1k: 0.001, output_per_1k: 0.002}\n";
  // Ten levels of nine aliases each: yaml refuses to expand it.
  const aliasBomb = [
    "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]",
    ...Array.from({ length: 10 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`)}]`),
    `models:\n${good}`,
  ].join("\n");
  it.each([
    [
      "a YAML syntax error",
      `models:\n  claude-opus-4-6: {input_per_1k: 0.004\n${good}`,
      3,
      3,
      undefined,
    ],
    ["a duplicate model", `models:\n${good}${good}`, 3, 3, undefined],
    [
      "a rate of the wrong type",
      `models:\n  claude-opus-4-6:\n    input_per_1k: cheap\n    output_per_1k: 0.02\n${good}`,
      3,
      19,
      "acme-coder-9",
    ],
    [
      "a negative rate",
      `models:\n  claude-opus-4-6: {input_per_1k: -0.004, output_per_1k: 0.02}\n${good}`,
      2,
      35,
      "acme-coder-9",
    ],
    [
      "a non-numeric rate",
      `models:\n  claude-opus-4-6: {input_per_1k: .nan, output_per_1k: 0.02}\n${good}`,
      2,
      35,
      "acme-coder-9",
    ],
    [
      "a missing output_per_1k",
      `models:\n  claude-opus-4-6:\n    input_per_1k: 0.004\n${good}`,
      2,
      3,
      "acme-coder-9",
    ],
    [
      "an unknown key in a model",
      `models:\n  claude-opus-4-6:\n    input_per_1k: 0.004\n    output_per_1k: 0.02\n    cache_read_per1k: 0.0004\n${good}`,
      5,
      5,
      "acme-coder-9",
    ],
    ["an unknown top-level key", `inherit: false\nmodles:\n${good}`, 2, 1, undefined],
    ["inherit that is not a boolean", `inherit: "no"\nmodels:\n${good}`, 1, 10, undefined],
    ["a list instead of a mapping", `- claude-opus-4-6\n`, 1, 1, undefined],
    ["an alias bomb", aliasBomb, 1, 1, undefined],
  ])(
    "warns once about %s with file:line:col and keeps the shipped prices",
    async (_, text, line, column, rest) => {
      const { root, file } = await projectWith(text);
      const { warnings, warn } = collector();
      const table = await loadPricingTable(root, { warn });
      expect([
        warnings,
        table.resolve("claude-opus-4-6")?.rates.input,
        table.resolve("acme-coder-9")?.id,
      ]).toEqual([
        [
          {
            code: "PRICING_FILE_INVALID",
            file,
            line,
            column,
            message: expect.stringContaining(`${file}:${line}:${column}: `),
          },
        ],
        pico(5e-6),
        rest,
      ]);
    },
  );

  it("warns about an override it cannot read and keeps the shipped prices", async () => {
    const root = await tempDir();
    const file = join(root, ".kittify", "pricing.yaml");
    await mkdir(file, { recursive: true });
    const { warnings, warn } = collector();
    const table = await loadPricingTable(root, { warn });
    expect([warnings, table.resolve("claude-opus-4-6")?.id]).toEqual([
      [{ code: "PRICING_FILE_INVALID", file, message: expect.stringContaining(file) }],
      "claude-opus-4-6",
    ]);
  });
});
