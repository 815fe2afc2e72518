import {
  normalisedKey,
  type PricingLayers,
  type Resolution,
  type ResolvedModel,
} from "./pricing.js";

/** Which file a price comes from. */
export type PriceOrigin =
  | { readonly kind: "shipped"; readonly effective: string | undefined }
  | { readonly kind: "override"; readonly file: string; readonly source: string | undefined };

/** One name the table prices: a listed model, or an alias of one. */
export interface PricedName {
  readonly name: string;
  /** The listed model when `name` is one of its aliases. */
  readonly aliasOf: string | undefined;
  readonly model: ResolvedModel;
  readonly origin: PriceOrigin;
}

/** How one model id is priced, as the cost report prices it. */
export interface ModelPrice {
  readonly query: string;
  /** Undefined: unpriced. */
  readonly resolution: Resolution | undefined;
  readonly origin: PriceOrigin | undefined;
  /** For an unpriced id, the listed names closest to it (a typo, a newer version). */
  readonly nearest: readonly string[];
}

/** The file the entry listed as `id` comes from in the table the reports use. */
function originOf(layers: PricingLayers, id: string): PriceOrigin {
  // Laying the override over the shipped table drops every shipped entry its ids claim, so
  // an id the override lists is the override's.
  const entry = layers.override?.entries.find((e) => e.id === id);
  if (entry && layers.overridePath !== undefined) {
    return { kind: "override", file: layers.overridePath, source: entry.source };
  }
  return { kind: "shipped", effective: layers.shipped.effective };
}

/** Every name the table prices, each listed model followed by its aliases, in table order. */
export function pricedNames(layers: PricingLayers): PricedName[] {
  return layers.table.entries.flatMap((entry) => {
    const model = layers.table.resolve(entry.id);
    if (!model) return [];
    const origin = originOf(layers, entry.id);
    return [
      { name: entry.id, aliasOf: undefined, model, origin },
      ...entry.aliases
        // An alias claimed first by another entry prices as that one; listed there only.
        .filter((alias) => layers.table.resolve(alias)?.id === entry.id)
        .map((alias) => ({ name: alias, aliasOf: entry.id, model, origin })),
    ];
  });
}

/** Edit distance (insertions, deletions, substitutions), for the "did you mean" hint. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (row[j - 1] ?? 0) + 1,
        (previous[j] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

const NEAREST = 3;

/** The listed names nearest `id` (compared normalised), closest first, at most three. */
function nearestNames(layers: PricingLayers, id: string): string[] {
  const key = normalisedKey(id);
  const limit = Math.max(3, Math.floor(key.length / 3));
  return layers.table.entries
    .flatMap((e) => [e.id, ...e.aliases])
    .map((name) => ({ name, d: distance(key, normalisedKey(name)) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, NEAREST)
    .map(({ name }) => name);
}

/** How the reports price `id`: the same resolution, with the step and the file it came from. */
export function modelPrice(layers: PricingLayers, id: string): ModelPrice {
  const resolution = layers.table.explain(id);
  return {
    query: id,
    resolution,
    origin: resolution ? originOf(layers, resolution.model.id) : undefined,
    nearest: resolution ? [] : nearestNames(layers, id),
  };
}
