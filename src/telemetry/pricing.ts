import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CodedError } from "../events/errors.js";
// Static (a few hundred bytes): a file loaded on its own costs the report ~1 ms.
import { compiledPricingTable } from "./pricing-compiled.js";
import {
  overlay,
  type ParsedPricingTable,
  PRICING_OVERRIDE_PATH,
  type PricingTable,
} from "./pricing-table.js";
import { readSmallFile } from "./project-paths.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

// The table itself (rates, resolution, overlay) is pricing-table.ts; this module loads tables.
export * from "./pricing-table.js";

/** An unexpected failure: the pricing table shipped with the package is missing or broken. */
export class PricingTableError extends CodedError<"PRICING_TABLE_UNAVAILABLE"> {
  constructor(message: string) {
    super("PRICING_TABLE_UNAVAILABLE", message);
  }
}

const SHIPPED_TABLE = new URL("./pricing.yaml", import.meta.url);
let shipped: Promise<ParsedPricingTable> | undefined;

// The shipped table compiled to JSON (pricing-compiled.ts), defined by scripts/bundle.mjs in the
// bundled CLI only; the library and the sources read pricing.yaml.
declare const SPEC_KITTY_SHIPPED_PRICING: string | undefined;

async function loadShipped(): Promise<ParsedPricingTable> {
  if (typeof SPEC_KITTY_SHIPPED_PRICING === "string") {
    return compiledPricingTable(SPEC_KITTY_SHIPPED_PRICING);
  }
  const { parsePricingTable } = await import("./pricing-file.js");
  const problems: string[] = [];
  const text = await readFile(SHIPPED_TABLE, "utf8").catch((e: Error) => {
    throw new PricingTableError(`the shipped pricing table could not be read (${e.message})`);
  });
  const table = parsePricingTable(text, fileURLToPath(SHIPPED_TABLE), (w) =>
    problems.push(w.message),
  );
  if (!table || problems.length > 0) {
    throw new PricingTableError(`the shipped pricing table is invalid: ${problems.join("; ")}`);
  }
  return table;
}

/** The largest override read: a real one is a few kilobytes, and every report parses it. */
export const MAX_PRICING_FILE_BYTES = 1 << 20;

async function readOverride(
  path: string,
  repoRoot: string,
  warn: WarningSink,
): Promise<string | undefined> {
  try {
    // No override (or no .kittify folder at all) is the normal case.
    return (
      (await readSmallFile(path, { root: repoRoot, maxBytes: MAX_PRICING_FILE_BYTES })) ?? undefined
    );
  } catch (e) {
    warn({
      code: "PRICING_FILE_INVALID",
      file: path,
      message: `${path}: could not be read (${(e as Error).message}); ignoring this pricing file`,
    });
    return undefined;
  }
}

/** The tables a report's prices come from: the shipped one, the project's, and the two laid. */
export interface PricingLayers {
  readonly table: ParsedPricingTable;
  readonly shipped: ParsedPricingTable;
  /** The project's `.kittify/pricing.yaml` when it exists and is usable. */
  readonly override: ParsedPricingTable | undefined;
  readonly overridePath: string | undefined;
  /** The override's text as read (undefined: no file), for `pricing update` to edit. */
  readonly overrideText: string | undefined;
}

/** `loadPricingTable`, keeping each layer apart (for `pricing show` and `pricing update`). */
export async function loadPricingLayers(
  repoRoot: string | undefined,
  options: { readonly warn?: WarningSink } = {},
): Promise<PricingLayers> {
  shipped ??= loadShipped();
  const base = await shipped;
  if (repoRoot === undefined) {
    return {
      table: base,
      shipped: base,
      override: undefined,
      overridePath: undefined,
      overrideText: undefined,
    };
  }
  const warn = options.warn ?? stderrWarningSink;
  const path = join(repoRoot, PRICING_OVERRIDE_PATH);
  const text = await readOverride(path, repoRoot, warn);
  const override =
    text === undefined
      ? undefined
      : (await import("./pricing-file.js")).parsePricingTable(text, path, warn);
  const table = override ? overlay(base, override) : base;
  return { table, shipped: base, override, overridePath: path, overrideText: text };
}

/**
 * The shipped table, overlaid by `<repoRoot>/.kittify/pricing.yaml` when present. Never throws
 * for a bad override (it warns and the shipped prices apply).
 */
export async function loadPricingTable(
  repoRoot: string | undefined,
  options: { readonly warn?: WarningSink } = {},
): Promise<PricingTable> {
  return (await loadPricingLayers(repoRoot, options)).table;
}
