import { Document, isMap, parseDocument, type YAMLMap } from "yaml";
import { CodedError } from "../events/errors.js";
import type { LiteLlmModel, LiteLlmPrices } from "./litellm-prices.js";
import {
  datelessKey,
  normalisedKey,
  overlay,
  type ParsedPricingTable,
  type PricingEntry,
  type PricingLayers,
  pricingTableOf,
  type ResolvedModel,
} from "./pricing.js";

/** An update that cannot be planned or written (an unknown `--only` model, a broken override). */
export class PricingUpdateError extends CodedError<"PRICING_UPDATE_REFUSED"> {
  constructor(message: string) {
    super("PRICING_UPDATE_REFUSED", message);
  }
}

/** A model the update writes, with the other names it must keep pricing (see keepNames). */
export interface PlannedModel extends LiteLlmModel {
  readonly aliases: readonly string[];
}

/** What `pricing update` would write into `.kittify/pricing.yaml`, and what it leaves alone. */
export interface PricingUpdatePlan {
  /** Models no price applied to. */
  readonly added: readonly PlannedModel[];
  /** Models priced before at other rates, with the entry that priced them. */
  readonly changed: readonly (PlannedModel & { readonly old: ResolvedModel })[];
  /** Models already priced at the source's rates (or by a model this update adds). */
  readonly unchanged: number;
  /** Models the project's own override prices otherwise: never overwritten. */
  readonly kept: readonly { readonly model: LiteLlmModel; readonly yours: ResolvedModel }[];
  readonly otherProviders: number;
}

/**
 * The table as it will be once the entries written so far are laid over `original`. Laying
 * them anew for each lookup is quadratic; this rebuilds only for an id whose lookup they can
 * change: one that is, or normalises (with or without its date) like, a written id or a name
 * the overlay drops for it.
 */
class Projection {
  readonly #original: ParsedPricingTable;
  readonly #written: PricingEntry[] = [];
  readonly #touched = new Set<string>();
  readonly #byKey = new Map<string, PricingEntry[]>();
  #table: ParsedPricingTable;
  #stale = false;

  constructor(original: ParsedPricingTable) {
    this.#original = original;
    this.#table = original;
    for (const entry of original.entries) {
      for (const name of [entry.id, ...entry.aliases]) {
        const key = normalisedKey(name);
        this.#byKey.set(key, [...(this.#byKey.get(key) ?? []), entry]);
      }
    }
  }

  write(entry: PricingEntry): void {
    this.#written.push(entry);
    this.#stale = true;
    this.#touch(entry.id);
    // What `overlay` drops: an entry whose id normalises like the written id, with all its
    // names; an alias that does.
    const key = normalisedKey(entry.id);
    for (const other of this.#byKey.get(key) ?? []) {
      const whole = normalisedKey(other.id) === key;
      for (const name of [other.id, ...other.aliases]) {
        if (whole || normalisedKey(name) === key) this.#touch(name);
      }
    }
  }

  #touch(name: string): void {
    this.#touched
      .add(`=${name}`)
      .add(`n${normalisedKey(name)}`)
      .add(`d${datelessKey(name)}`);
  }

  resolve(id: string): ResolvedModel | undefined {
    const touched =
      this.#touched.has(`=${id}`) ||
      this.#touched.has(`n${normalisedKey(id)}`) ||
      this.#touched.has(`d${datelessKey(id)}`);
    return touched ? this.table().resolve(id) : this.#original.resolve(id);
  }

  table(): ParsedPricingTable {
    if (this.#stale)
      this.#table = overlay(this.#original, pricingTableOf(undefined, this.#written));
    this.#stale = false;
    return this.#table;
  }
}

function samePrices(a: ResolvedModel, b: ResolvedModel): boolean {
  return JSON.stringify([a.rates, a.tiers]) === JSON.stringify([b.rates, b.tiers]);
}

/** The source's models that `only` names (by id, LiteLLM key or normalised id), in its order. */
function selected(prices: LiteLlmPrices, only: readonly string[] | undefined): LiteLlmModel[] {
  if (only === undefined || only.length === 0) return [...prices.models];
  return only.map((name) => {
    const found =
      prices.models.find((m) => m.id === name || m.key === name) ??
      prices.models.find((m) => normalisedKey(m.id) === normalisedKey(name));
    if (!found) throw new PricingUpdateError(`--only ${name}: no such model in the source`);
    return found;
  });
}

/**
 * Which of the source's models to write: those the current table (shipped + override) leaves
 * unpriced or prices otherwise, except where the project's own override entries price them (an
 * entry without `source` is the user's). Each model is checked against the table as it will be
 * once the models before it are written, so `x-20260101` at the prices of a planned `x` is not
 * written again.
 */
export function planPricingUpdate(
  layers: PricingLayers,
  prices: LiteLlmPrices,
  only?: readonly string[],
): PricingUpdatePlan {
  const original = layers.table;
  const yours = new Set(
    (layers.override?.entries ?? []).filter((e) => e.source === undefined).map((e) => e.id),
  );
  // Undated and shorter ids first: the dated spellings then resolve to them.
  const candidates = selected(prices, only).sort(
    (a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const added: PlannedModel[] = [];
  const changed: (PlannedModel & { old: ResolvedModel })[] = [];
  const kept: { model: LiteLlmModel; yours: ResolvedModel }[] = [];
  const current = new Projection(original);
  let unchanged = 0;
  for (const model of candidates) {
    const now = current.resolve(model.id);
    if (now && samePrices(now, model.entry)) unchanged++;
    else if (now && yours.has(now.id)) kept.push({ model, yours: now });
    else {
      const old = original.resolve(model.id);
      const planned = { ...model, aliases: [] };
      if (old) changed.push({ ...planned, old });
      else added.push(planned);
      current.write(model.entry);
    }
  }
  const names = keepNames(original, current.table());
  const finish = <M extends PlannedModel>(list: M[]): M[] =>
    list
      .map((m) => ({ ...m, aliases: names.get(m.id) ?? [] }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    added: finish(added),
    changed: finish(changed),
    unchanged,
    kept,
    otherProviders: prices.otherProviders,
  };
}

/**
 * A written entry takes over every shipped name that normalises like its id, so the shipped
 * entry's other names (its aliases) would go unpriced: they become the new entry's aliases.
 */
function keepNames(before: ParsedPricingTable, after: ParsedPricingTable): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  for (const entry of before.entries) {
    for (const name of entry.aliases) {
      if (after.resolve(name)) continue;
      const heir = after.resolve(entry.id);
      if (heir) kept.set(heir.id, [...(kept.get(heir.id) ?? []), name]);
    }
  }
  return kept;
}

const HEADER = ` This project's model prices, laid over the ones shipped with spec-kitty telemetry (same
 shape as its pricing.yaml: USD per 1,000 tokens). An entry with \`source\` was written by
 \`spec-kitty agent telemetry pricing update\` and may be replaced by the next update; an entry
 without one is yours and is never overwritten.`;

/**
 * `overrideText` (undefined: no file yet) with the planned models written under `models`, each
 * stamped with `source`; everything else in the file, comments included, is kept.
 */
export function applyPricingUpdate(
  overrideText: string | undefined,
  plan: PricingUpdatePlan,
  source: string,
): string {
  const doc =
    overrideText === undefined ? new Document({ models: {} }) : parseDocument(overrideText);
  if (overrideText === undefined) doc.commentBefore = HEADER;
  if (doc.errors.length > 0) {
    throw new PricingUpdateError("the pricing override does not parse; fix it first");
  }
  let models = doc.get("models");
  if (!isMap(models)) {
    doc.set("models", doc.createNode({}));
    models = doc.get("models");
  }
  const map = models as YAMLMap;
  for (const model of [...plan.added, ...plan.changed]) {
    const aliases = model.aliases.length > 0 ? { aliases: [...model.aliases] } : {};
    map.set(model.id, doc.createNode({ source, ...model.fields, ...aliases }));
  }
  return doc.toString();
}
