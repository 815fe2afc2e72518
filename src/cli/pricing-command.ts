import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import { readLiteLlmPrices } from "../telemetry/litellm-prices.js";
import {
  loadPricingLayers,
  MAX_PRICING_FILE_BYTES,
  PRICING_OVERRIDE_PATH,
} from "../telemetry/pricing.js";
import { modelPrice, pricedNames } from "../telemetry/pricing-explain.js";
import { parsePricingTable } from "../telemetry/pricing-file.js";
import {
  applyPricingUpdate,
  PricingUpdateError,
  planPricingUpdate,
} from "../telemetry/pricing-update.js";
import { assertFolderInside, replaceFile } from "../telemetry/project-paths.js";
import { CliError } from "./errors.js";
import { colorsFor, outputWidth } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { readPriceSource, SOURCE_LIMITS } from "./read-source.js";
import {
  renderModelPrice,
  renderModelPriceJson,
  renderPricingJson,
  renderPricingTable,
  renderUpdatePlan,
} from "./render-pricing.js";
import {
  COLOR_HELP,
  color,
  noColor,
  positiveNumber,
  repo,
  warningsTo,
  wide,
} from "./shared-options.js";

/** The project root, or none outside a project when `--repo` is not given (shipped prices). */
async function optionalRoot(io: ProgramIo, dir: string | undefined): Promise<string | undefined> {
  if (dir !== undefined) return findProjectRoot(io.cwd, dir);
  return findProjectRoot(io.cwd).catch((e: unknown) => {
    if (e instanceof CliError && e.code === "NOT_IN_PROJECT") return undefined;
    throw e;
  });
}

function showCommand(io: ProgramIo) {
  return new Command("show")
    .description(
      "The rates that apply to each model (or to MODEL) and where they come from: the shipped table, the project's .kittify/pricing.yaml, an alias.",
    )
    .argument("[model]", "a model id as an agent reports it: how the cost report prices it")
    .option("--json", "print JSON: rates in USD per 1,000 tokens, as pricing.yaml writes them")
    .addOption(repo())
    .addOption(wide())
    .addOption(color())
    .addOption(noColor())
    .addHelpText(
      "after",
      `
Examples:
  $ spec-kitty agent telemetry pricing show
  $ spec-kitty agent telemetry pricing show claude-sonnet-4.5`,
    )
    .addHelpText("after", COLOR_HELP)
    .action(async (model, options) => {
      const repoRoot = await optionalRoot(io, options.repo);
      const layers = await loadPricingLayers(repoRoot, { warn: warningsTo(io) });
      const width = options.wide ? undefined : outputWidth(io);
      if (model === undefined) {
        const names = pricedNames(layers);
        io.stdout(
          options.json
            ? renderPricingJson(names)
            : renderPricingTable(names, colorsFor(io, options.color), { width }),
        );
      } else {
        const price = modelPrice(layers, model);
        io.stdout(options.json ? renderModelPriceJson(price) : renderModelPrice(price, width));
      }
    });
}

const today = (io: ProgramIo) => new Date(io.now?.() ?? Date.now()).toISOString().slice(0, 10);

function updateCommand(io: ProgramIo) {
  return new Command("update")
    .description(
      "Write LiteLLM's prices for the models the table lacks or prices otherwise into .kittify/pricing.yaml (shows the changes; writes only with --yes).",
    )
    .requiredOption(
      "--from <file|url>",
      "LiteLLM's model_prices_and_context_window.json: a file, or an http(s) URL to fetch",
    )
    .addOption(new Option("--dry-run", "show the changes and write nothing").conflicts("yes"))
    .option("--yes", "write the changes (without it, nothing is written)")
    .option("--only <model...>", "only these models (ids as the source lists them)")
    .option(
      "--timeout <seconds>",
      "give up fetching a URL after this long",
      positiveNumber,
      SOURCE_LIMITS.timeoutMs / 1000,
    )
    .addOption(repo())
    .addHelpText(
      "after",
      `
Entries you wrote yourself (those without a \`source\` key) are never overwritten; comments stay.
Reports never fetch prices: they read the shipped table and .kittify/pricing.yaml only.

Examples:
  $ spec-kitty agent telemetry pricing update --from https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json
  $ spec-kitty agent telemetry pricing update --from prices.json --only gpt-4o --yes`,
    )
    .action(async (options) => {
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const layers = await loadPricingLayers(repoRoot, { warn: warningsTo(io) });
      const file = join(repoRoot, PRICING_OVERRIDE_PATH);
      if (layers.overrideText !== undefined && layers.override === undefined) {
        throw new PricingUpdateError(
          `${file} cannot be used (see the warning above); fix it before updating it`,
        );
      }
      const text = await readPriceSource(options.from, io.cwd, {
        ...SOURCE_LIMITS,
        timeoutMs: options.timeout * 1000,
      });
      const prices = readLiteLlmPrices(text, options.from);
      const plan = planPricingUpdate(layers, prices, options.only);
      io.stdout(renderUpdatePlan(plan, options.from));
      const count = plan.added.length + plan.changed.length;
      if (count === 0) {
        io.stdout(`Nothing to write: ${PRICING_OVERRIDE_PATH} already agrees.\n`);
        return;
      }
      if (options.dryRun || !options.yes) {
        const why = options.dryRun ? "dry run" : `run again with --yes to write these ${count}`;
        io.stdout(`Nothing written (${why}).\n`);
        return;
      }
      const isUrl = /^https?:\/\//i.test(options.from);
      const source = `LiteLLM ${isUrl ? options.from : basename(options.from)}, ${today(io)}`;
      const next = applyPricingUpdate(layers.overrideText, plan, source);
      // What is written must read back without a warning, or it is not written.
      if (Buffer.byteLength(next) > MAX_PRICING_FILE_BYTES) {
        throw new PricingUpdateError(
          `the updated ${file} would pass ${MAX_PRICING_FILE_BYTES} bytes, which reports ignore; use --only`,
        );
      }
      const problems: string[] = [];
      parsePricingTable(next, file, (w) => problems.push(w.message));
      if (problems.length > 0) {
        throw new PricingUpdateError(`the updated ${file} would not read back: ${problems[0]}`);
      }
      await assertFolderInside(dirname(file), repoRoot);
      await mkdir(dirname(file), { recursive: true });
      await replaceFile(file, next, repoRoot);
      io.stdout(
        `Wrote ${count} ${count === 1 ? "model" : "models"} to ${PRICING_OVERRIDE_PATH} (source: ${source}).\n`,
      );
    });
}

/** `agent telemetry pricing show|update`. */
export function pricingCommand(io: ProgramIo) {
  return new Command("pricing")
    .description("The model prices cost estimates use: show them, update them from LiteLLM.")
    .addCommand(showCommand(io))
    .addCommand(updateCommand(io));
}
