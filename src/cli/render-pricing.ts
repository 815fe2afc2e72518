import { plainText } from "../telemetry/decimal-rate.js";
import type { ModelRates, Resolution, ResolvedModel } from "../telemetry/pricing.js";
import type { ModelPrice, PricedName, PriceOrigin } from "../telemetry/pricing-explain.js";
import type { PricingUpdatePlan } from "../telemetry/pricing-update.js";
import type { Colors, PrettyValue } from "./output.js";
import { prettyJson } from "./output.js";
import { layoutNote, renderFitting, renderTable, type TableSpec, wrapText } from "./table.js";
import { printable } from "./terminal-text.js";

const RATE_KEYS = ["input", "output", "cacheRead", "cacheWrite", "cacheWrite1h"] as const;
const RATE_NAMES: Record<(typeof RATE_KEYS)[number], string> = {
  input: "input",
  output: "output",
  cacheRead: "cache read",
  cacheWrite: "cache write 5m",
  cacheWrite1h: "cache write 1h",
};
const FILE_FIELDS: Record<(typeof RATE_KEYS)[number], string> = {
  input: "input_per_1k",
  output: "output_per_1k",
  cacheRead: "cache_read_per_1k",
  cacheWrite: "cache_write_per_1k",
  cacheWrite1h: "cache_write_1h_per_1k",
};

/** Pico-USD per token as USD per million tokens, exact: `3.00`, `0.025`. */
export function perMillion(pico: number): string {
  return plainText({ digits: BigInt(pico), exponent: -6 }, 2);
}

/** Pico-USD per token as USD per 1,000 tokens (the pricing file's unit), exact. */
function per1k(pico: number): number {
  return Number(plainText({ digits: BigInt(pico), exponent: -9 }));
}

const UNIT_LINE = "Rates in USD per million tokens (pricing.yaml writes USD per 1,000).";

function originText(origin: PriceOrigin): string {
  if (origin.kind === "shipped") return "shipped";
  return origin.source === undefined ? "override" : "override (update)";
}

function originLine(origin: PriceOrigin): string {
  if (origin.kind === "shipped") {
    return `the table shipped with spec-kitty telemetry, dated ${origin.effective ?? "(undated)"}`;
  }
  const by = origin.source === undefined ? "" : `, written by pricing update from ${origin.source}`;
  return `the project's ${origin.file}${by}`;
}

const tierText = (model: ResolvedModel) =>
  model.tiers.length === 0 ? "-" : model.tiers.map((t) => `>${t.aboveTokens / 1000}k`).join(" ");

interface PricingLayout {
  readonly spec: TableSpec;
  readonly note?: string;
}

/** Every priced name as a table fitting `width` (fewer columns, said so, when it must). */
export function renderPricingTable(
  names: readonly PricedName[],
  colors: Colors,
  fit: { readonly width?: number | undefined; readonly wide?: boolean | undefined },
): string {
  const rows = names.map(({ name, aliasOf, model, origin }) => ({
    model: { text: printable(name) },
    input: perMillion(model.rates.input),
    output: perMillion(model.rates.output),
    cacheRead: perMillion(model.rates.cacheRead),
    cacheWrite: perMillion(model.rates.cacheWrite),
    cacheWrite1h: perMillion(model.rates.cacheWrite1h),
    tiers: tierText(model),
    source: { text: aliasOf === undefined ? originText(origin) : `alias of ${printable(aliasOf)}` },
    // Narrower tables say only `alias`, leaving the width to the ids: its model's row is above.
    origin: aliasOf === undefined ? originText(origin) : "alias",
  }));
  type Key = keyof (typeof rows)[number];
  const HEADS: Record<Key, [string, "left" | "right"]> = {
    model: ["Model", "left"],
    input: ["Input", "right"],
    output: ["Output", "right"],
    cacheRead: ["Cache read", "right"],
    cacheWrite: ["Write 5m", "right"],
    cacheWrite1h: ["Write 1h", "right"],
    tiers: ["Tiers", "left"],
    source: ["Source", "left"],
    origin: ["Source", "left"],
  };
  const layout = (keys: readonly Key[], note?: string): PricingLayout => ({
    spec: {
      head: keys.map((k) => HEADS[k][0]),
      align: keys.map((k) => HEADS[k][1]),
      rows: rows.map((r) => keys.map((k) => r[k])),
      // The full table is never cut (narrower ones say less instead); the others cut ids last.
      minWidths: keys.map((k) =>
        note === undefined ? undefined : k === "model" ? 22 : k === "origin" ? 8 : undefined,
      ),
    },
    ...(note === undefined ? {} : { note }),
  });
  const layouts: [PricingLayout, ...PricingLayout[]] = [
    layout([
      "model",
      "input",
      "output",
      "cacheRead",
      "cacheWrite",
      "cacheWrite1h",
      "tiers",
      "source",
    ]),
    layout(
      ["model", "input", "output", "cacheRead", "cacheWrite", "origin"],
      "Compact: no 1-hour write, no tiers (see pricing show MODEL); an alias follows its model;",
    ),
    layout(
      ["model", "input", "output", "origin"],
      "Narrow: input and output only; an alias follows its model;",
    ),
  ];
  const width = fit.wide ? undefined : fit.width;
  const { layout: chosen, text: table, shortened } = renderFitting(layouts, width);
  const dated = names.find((n) => n.origin.kind === "shipped")?.origin;
  const shipped =
    dated?.kind === "shipped"
      ? ` The shipped table is dated ${dated.effective ?? "(undated)"}.`
      : "";
  const notes = [
    UNIT_LINE + shipped,
    ...(chosen.note === undefined ? [] : [layoutNote(chosen.note, shortened)]),
  ];
  const lines = notes.flatMap((n) => (width === undefined ? [n] : wrapText(n, width)));
  return table + lines.map((line) => `${colors.dim(line)}\n`).join("");
}

function stepText(r: Resolution): string {
  const listed = r.matched === r.model.id ? "" : `, an alias of ${r.model.id}`;
  const rules = 'lower case, no provider path, "." and "@" as "-"';
  switch (r.step) {
    case "exact":
      return "exact (listed under this id)";
    case "alias":
      return `alias (listed as an alias of ${r.model.id})`;
    case "normalised":
      return `normalised (${rules}) to ${r.matched}${listed}`;
    case "dateless":
      return `normalised (${rules}, no trailing date) to ${r.matched}${listed}`;
    default:
      return r.step satisfies never;
  }
}

/** One model: how its id resolves, where the rates come from, base and long-context rates. */
export function renderModelPrice(price: ModelPrice, width: number | undefined): string {
  const query = printable(price.query);
  const r = price.resolution;
  const wrap = (text: string) => (width === undefined ? [text] : wrapText(text, width));
  if (!r || !price.origin) {
    const hint =
      price.nearest.length === 0
        ? "no listed id is close to it"
        : `nearest listed ids: ${price.nearest.map(printable).join(", ")}`;
    return [
      ...wrap(
        `${query}: unpriced (no entry matches it exactly or normalised; never by prefix); ${hint}.`,
      ),
      ...wrap(
        "Add it to .kittify/pricing.yaml, or run `spec-kitty agent telemetry pricing update --from FILE|URL`.",
      ),
    ]
      .map((l) => `${l}\n`)
      .join("");
  }
  const head = [
    ...wrap(`${query} is priced as ${printable(r.model.id)}`),
    ...wrap(`match: ${printable(stepText(r))}`),
    ...wrap(`source: ${printable(originLine(price.origin))}`),
  ];
  const table = renderTable({
    head: [
      "USD / 1M tokens",
      "base",
      ...r.model.tiers.map((t) => `above ${t.aboveTokens / 1000}k`),
    ],
    align: ["left", "right", ...r.model.tiers.map((): "right" => "right")],
    rows: RATE_KEYS.map((k) => [
      RATE_NAMES[k],
      perMillion(r.model.rates[k]),
      ...r.model.tiers.map((t) => perMillion(t.rates[k])),
    ]),
  });
  return `${head.map((l) => `${l}\n`).join("")}${table}`;
}

function ratesJson(rates: ModelRates): Record<string, number> {
  return Object.fromEntries(RATE_KEYS.map((k) => [FILE_FIELDS[k], per1k(rates[k])]));
}

function modelJson(model: ResolvedModel): Record<string, PrettyValue> {
  return {
    rates: ratesJson(model.rates),
    tiers: model.tiers.map((t) => ({ above_tokens: t.aboveTokens, ...ratesJson(t.rates) })),
  };
}

function originJson(origin: PriceOrigin | undefined): Record<string, PrettyValue> {
  return {
    origin: origin?.kind ?? null,
    effective: origin?.kind === "shipped" ? (origin.effective ?? null) : null,
    file: origin?.kind === "override" ? origin.file : null,
    source: origin?.kind === "override" ? (origin.source ?? null) : null,
  };
}

/** The table as JSON: rates in the pricing file's unit (USD per 1k), exact decimals. */
export function renderPricingJson(names: readonly PricedName[]): string {
  return prettyJson(
    names.map((n) => ({
      model: n.name,
      alias_of: n.aliasOf ?? null,
      ...originJson(n.origin),
      ...modelJson(n.model),
    })),
    new Set(),
  );
}

/** One model's resolution as JSON (`match: "unpriced"` with `nearest` when it has none). */
export function renderModelPriceJson(price: ModelPrice): string {
  const r = price.resolution;
  return prettyJson(
    {
      model: price.query,
      match: r?.step ?? "unpriced",
      priced_as: r?.model.id ?? null,
      matched_name: r?.matched ?? null,
      ...originJson(price.origin),
      ...(r ? modelJson(r.model) : { rates: null, tiers: [] }),
      nearest: [...price.nearest],
    },
    new Set(),
  );
}

function ratesLine(model: ResolvedModel): string {
  const base = RATE_KEYS.map((k) => `${RATE_NAMES[k]} ${perMillion(model.rates[k])}`).join(", ");
  const tiers = model.tiers.map(
    (t) =>
      `; above ${t.aboveTokens / 1000}k: input ${perMillion(t.rates.input)}, output ${perMillion(t.rates.output)}`,
  );
  return base + tiers.join("");
}

/** What differs between two prices of one model, `field old -> new`, comma-separated. */
function changesLine(old: ResolvedModel, next: ResolvedModel): string {
  const changes = RATE_KEYS.filter((k) => old.rates[k] !== next.rates[k]).map(
    (k) => `${RATE_NAMES[k]} ${perMillion(old.rates[k])} -> ${perMillion(next.rates[k])}`,
  );
  const tiers = (m: ResolvedModel) =>
    m.tiers
      .map(
        (t) =>
          `>${t.aboveTokens / 1000}k ${perMillion(t.rates.input)}/${perMillion(t.rates.output)}`,
      )
      .join(" ") || "none";
  if (tiers(old) !== tiers(next))
    changes.push(`tiers (input/output) ${tiers(old)} -> ${tiers(next)}`);
  // An alias whose model changed, listed by the source at the old rates: written on its own.
  return changes.length === 0 ? "the same rates, now an entry of its own" : changes.join(", ");
}

/** The update's plan: each added and changed model, the counts of the rest. */
export function renderUpdatePlan(plan: PricingUpdatePlan, from: string): string {
  const read = plan.added.length + plan.changed.length + plan.unchanged + plan.kept.length;
  const lines = [
    `${printable(from)}: ${read} ${read === 1 ? "model" : "models"} of Anthropic, OpenAI and the Gemini API (${plan.otherProviders} entries left out: other providers, Vertex AI, not priced per token).`,
    UNIT_LINE,
  ];
  if (plan.added.length > 0) {
    lines.push(`Added (${plan.added.length}), unpriced until now:`);
    for (const m of plan.added) lines.push(`  + ${printable(m.id)}: ${ratesLine(m.entry)}`);
  }
  if (plan.changed.length > 0) {
    lines.push(`Changed (${plan.changed.length}):`);
    for (const m of plan.changed) {
      const was = m.old.id === m.id ? "" : ` (priced as ${printable(m.old.id)} until now)`;
      lines.push(`  ~ ${printable(m.id)}${was}: ${changesLine(m.old, m.entry)}`);
    }
  }
  lines.push(`Unchanged: ${plan.unchanged}.`);
  if (plan.kept.length > 0) {
    lines.push(`Kept (${plan.kept.length}), priced otherwise by your own entries in the override:`);
    for (const { model, yours } of plan.kept) {
      const entry = yours.id === model.id ? "" : ` (your ${printable(yours.id)})`;
      lines.push(
        `  = ${printable(model.id)}${entry}: yours -> the source's: ${changesLine(yours, model.entry)}`,
      );
    }
  }
  return lines.map((l) => `${l}\n`).join("");
}
