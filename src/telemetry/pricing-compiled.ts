import { type ParsedPricingTable, type PricingEntry, pricingTableOf } from "./pricing-table.js";

/**
 * The shipped pricing table as data: what parsing src/telemetry/pricing.yaml gives, written as
 * JSON by scripts/bundle.mjs into the bundled CLI, so that a report neither loads the YAML
 * library nor parses the file (a fifth of a warm report's time). It is made from the YAML at
 * every build, so the two cannot drift; test/telemetry/pricing-compiled.test.ts proves the
 * round trip gives the same table.
 */
interface CompiledPricing {
  readonly effective: string | null;
  readonly inherit: boolean;
  readonly entries: readonly PricingEntry[];
}

/** The JSON text of a parsed table (the rates stay integer pico-dollars). */
export function compilePricing(table: ParsedPricingTable): string {
  const data: CompiledPricing = {
    effective: table.effective ?? null,
    inherit: table.inherit,
    entries: table.entries,
  };
  return JSON.stringify(data);
}

/**
 * The table `compilePricing` wrote. Not validated: the text is the build's own output, embedded
 * in the code, never read from disk.
 */
export function compiledPricingTable(json: string): ParsedPricingTable {
  const data = JSON.parse(json) as CompiledPricing;
  return pricingTableOf(data.effective ?? undefined, data.entries, data.inherit);
}
