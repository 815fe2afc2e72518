import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { exportToOtlp } from "../team/otlp-export.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { featureFilter, positiveNumber, repo, warningsTo } from "./shared-options.js";

/** `NAME=VALUE`, added to the headers given so far. */
function header(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  const name = value.slice(0, eq).trim();
  if (eq <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new InvalidArgumentError("expected NAME=VALUE, e.g. Authorization=Bearer xyz");
  }
  return { ...previous, [name]: value.slice(eq + 1).trim() };
}

/** `agent telemetry export --otlp URL`: the events as OpenTelemetry GenAI spans. */
export function exportCommand(io: ProgramIo) {
  return new Command("export")
    .description(
      "Send the events not yet sent to an OpenTelemetry (OTLP/HTTP) endpoint, as invoke_agent spans with token and duration metrics.",
    )
    .addOption(
      new Option(
        "--otlp <url>",
        "the OTLP/HTTP endpoint, e.g. http://localhost:4318",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--header <name=value>",
        "a request header, repeatable (e.g. an API key)",
      ).argParser(header),
    )
    .addOption(featureFilter())
    .addOption(
      new Option("--timeout <seconds>", "the time one request may take, its retries included")
        .argParser(positiveNumber)
        .default(10),
    )
    .option("--dry-run", "count what would be sent, send nothing")
    .option("--json", "print the result as JSON")
    .addOption(repo())
    .addHelpText(
      "after",
      `
Each event becomes one span named "invoke_agent <agent>" (GenAI semantic conventions:
gen_ai.agent.name, gen_ai.request.model, gen_ai.usage.input_tokens counting cached prompt tokens
too, gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cache_creation.input_tokens,
gen_ai.usage.reasoning.output_tokens, gen_ai.conversation.id) with spec_kitty.cost_usd,
spec_kitty.cost_source, spec_kitty.feature, spec_kitty.wp_id, spec_kitty.role, spec_kitty.success,
spec_kitty.source and spec_kitty.event_id. Span and trace ids derive from the event id. What a
destination acknowledged is kept in .kittify/export/, so a second export sends nothing new and an
interrupted one resumes; OTEL_EXPORTER_OTLP_* environment variables (headers, TLS) apply too.

Examples:
  $ spec-kitty agent telemetry export --otlp http://localhost:4318
  $ spec-kitty agent telemetry export --otlp https://otlp.example.com --header "Authorization=Bearer $TOKEN"`,
    )
    .action(async (options) => {
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      const warn = warningsTo(io);
      const result = await exportToOtlp({
        repoRoot,
        url: options.otlp,
        headers: options.header ?? {},
        feature: options.feature,
        pricing: await loadPricingTable(repoRoot, { warn }),
        warn,
        dryRun: options.dryRun === true,
        timeoutMs: options.timeout * 1000,
      });
      if (options.json) {
        io.stdout(`${JSON.stringify({ ...result, dry_run: options.dryRun === true })}\n`);
        return;
      }
      const verb = options.dryRun ? "would send" : "sent";
      io.stdout(`${verb} ${result.sent} events; ${result.alreadySent} were sent before\n`);
    });
}
