import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compiledPricingTable, compilePricing } from "../../src/telemetry/pricing-compiled.js";
import { parsePricingTable } from "../../src/telemetry/pricing-file.js";
import { datelessKey, normalisedKey } from "../../src/telemetry/pricing-table.js";

const SHIPPED_FILE = join(import.meta.dirname, "..", "..", "src", "telemetry", "pricing.yaml");

function shippedFromYaml() {
  const problems: string[] = [];
  const table = parsePricingTable(readFileSync(SHIPPED_FILE, "utf8"), SHIPPED_FILE, (w) =>
    problems.push(w.message),
  );
  expect(problems).toEqual([]);
  if (table === undefined) throw new Error("the shipped table does not parse");
  return table;
}

// The bundled CLI prices with the table scripts/bundle.mjs compiles from pricing.yaml: it must
// be the table the YAML means, entry for entry and lookup for lookup.
describe("the shipped pricing table compiled at build time", () => {
  const yaml = shippedFromYaml();
  const compiled = compiledPricingTable(compilePricing(yaml));

  it("has the YAML's date, inherit flag and entries", () => {
    expect(compiled.effective).toBe(yaml.effective);
    expect(compiled.inherit).toBe(yaml.inherit);
    expect(compiled.entries).toEqual(yaml.entries);
    expect(compiled.entries.length).toBeGreaterThan(20);
  });

  // Every listed name, and the forms an agent reports it in, resolves alike.
  const names = yaml.entries.flatMap((e) => [e.id, ...e.aliases]);
  const reported = names.flatMap((name) => [
    name,
    name.toUpperCase(),
    `openrouter/${name}`,
    `${name}-20250101`,
    `${name}[1m]`,
    normalisedKey(name),
    datelessKey(name),
  ]);
  it.each(reported)("resolves %s as the YAML does", (model) => {
    expect(compiled.explain(model)).toEqual(yaml.explain(model));
  });
});
