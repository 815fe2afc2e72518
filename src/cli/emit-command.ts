import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { type EmitModelUsage, emitExecutionEvent } from "../telemetry/emit.js";
import { ROLES } from "../telemetry/execution-payload.js";
import { FEATURES_FOLDER, featuresLike, isFeatureSlug } from "../telemetry/features.js";
import type { TelemetryWarning } from "../telemetry/warnings.js";
import { CliError } from "./errors.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import {
  integer,
  nonNegativeInteger,
  nonNegativeNumber,
  repo,
  warningsTo,
} from "./shared-options.js";

// emit may create the folder, so the name must be one spec-kitty would make: never a path, a
// control character, a glob, an option-like `-rf`, or a bare `001` beside `001-x`.
function featureSlug(value: string): string {
  if (!isFeatureSlug(value)) {
    throw new InvalidArgumentError(
      `expected a feature folder name under ${FEATURES_FOLDER}/ of the form NNN-name (three digits, then lower-case words joined by '-', e.g. 043-telemetry-foundation).`,
    );
  }
  return value;
}

// The keys of `--model-usage`, and the counts they set.
const MODEL_USAGE_KEYS = {
  input: "inputTokens",
  output: "outputTokens",
  "cache-read": "cacheReadTokens",
  "cache-write": "cacheWriteTokens",
  "cache-write-1h": "cacheWrite1hTokens",
  reasoning: "reasoningTokens",
} as const;

/**
 * `MODEL:input=N,output=N,cache-read=N,cache-write=N,cache-write-1h=N,reasoning=N,cost=USD`
 * (any key may be left out: a count is then 0, the cost unknown). The model id ends at the last
 * `:` (ids such as `qwen3-coder:30b` hold one), and the list is added to `previous`.
 */
function modelUsage(value: string, previous: EmitModelUsage[] = []): EmitModelUsage[] {
  const colon = value.lastIndexOf(":");
  const model = value.slice(0, colon).trim();
  if (colon < 0 || model === "") {
    throw new InvalidArgumentError("expected MODEL:input=N,output=N,... (see --help).");
  }
  const usage = {
    model,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    costUsd: null as number | null,
  };
  const rest = value.slice(colon + 1).trim();
  for (const pair of rest === "" ? [] : rest.split(",")) {
    const [key = "", number = ""] = pair.split("=").map((part) => part.trim());
    if (key === "cost") usage.costUsd = nonNegativeNumber(number);
    else if (Object.hasOwn(MODEL_USAGE_KEYS, key)) {
      usage[MODEL_USAGE_KEYS[key as keyof typeof MODEL_USAGE_KEYS]] = nonNegativeInteger(number);
    } else {
      throw new InvalidArgumentError(
        `unknown key "${key}": use ${[...Object.keys(MODEL_USAGE_KEYS), "cost"].join(", ")}.`,
      );
    }
  }
  if (usage.cacheWrite1hTokens > usage.cacheWriteTokens) {
    throw new InvalidArgumentError("cache-write-1h is the part of cache-write written for 1 hour.");
  }
  return [...previous, usage];
}

/** `agent telemetry emit`: records one invocation, fire-and-forget. */
export function emitCommand(io: ProgramIo) {
  return new Command("emit")
    .description("Record one agent invocation as an ExecutionEvent in the feature's log.")
    .addOption(
      new Option("-f, --feature <slug>", "the feature folder name, e.g. 043-telemetry-foundation")
        .argParser(featureSlug)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("-r, --role <role>", "the phase role").choices(ROLES).makeOptionMandatory(),
    )
    .option("--agent <name>", "the agent (claude, codex, gemini, copilot, cursor, ...)", "unknown")
    .option("--model <id>", "the model id the agent used")
    .option("--wp-id <id>", "the work package", "N/A")
    .addOption(
      new Option("--input-tokens <n>", "uncached prompt tokens").argParser(nonNegativeInteger),
    )
    .addOption(
      new Option("--output-tokens <n>", "generated tokens, reasoning included").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option("--cache-read-tokens <n>", "prompt tokens served from a cache").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option("--cache-write-tokens <n>", "prompt tokens written to a cache").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option(
        "--cache-write-1h-tokens <n>",
        "the part of the cache writes written with a 1-hour lifetime",
      ).argParser(nonNegativeInteger),
    )
    .addOption(
      new Option("--reasoning-tokens <n>", "the reasoning part of the output tokens").argParser(
        nonNegativeInteger,
      ),
    )
    .addOption(
      new Option(
        "--model-usage <usage>",
        "one model's share, repeatable: MODEL:input=N,output=N,cache-read=N,cache-write=N,cache-write-1h=N,reasoning=N,cost=USD (the token totals are then their sums)",
      ).argParser(modelUsage),
    )
    .addOption(
      new Option(
        "--cost-usd <usd>",
        "the cost the agent reported (else estimated in reports)",
      ).argParser(nonNegativeNumber),
    )
    .addOption(
      new Option("--duration-ms <ms>", "how long the invocation took")
        .argParser(nonNegativeNumber)
        .default(0),
    )
    .addOption(
      new Option("--success", "the invocation succeeded (the default without --error)").conflicts([
        "failure",
        "error",
      ]),
    )
    .addOption(new Option("--failure", "the invocation failed"))
    .option("--error <message>", "what went wrong; implies --failure")
    .addOption(new Option("--exit-code <n>", "the agent's exit code").argParser(integer))
    .option("--session-id <id>", "the agent's session id")
    .addOption(
      new Option(
        "--untrusted-cost-usd <usd>",
        "a cost the agent reported that is known to be wrong: kept, never used",
      ).argParser(nonNegativeNumber),
    )
    .option("--json", "print the result as JSON")
    .addOption(repo())
    .addHelpText(
      "after",
      `
Emission never fails the caller: if the event cannot be written, a warning is printed and the
exit code is still 0. Invalid flag values are refused with exit 1 before anything is written.

Examples:
  $ spec-kitty agent telemetry emit --feature 043-telemetry-foundation --role implementer \\
      --agent claude --model claude-sonnet-4-5 --input-tokens 12000 --output-tokens 3400 \\
      --cache-read-tokens 80000 --cost-usd 0.2143 --duration-ms 95000 --wp-id WP01
  $ spec-kitty agent telemetry emit -f 043-telemetry-foundation -r implementer --agent claude \\
      --model claude-sonnet-4-5 \\
      --model-usage 'claude-sonnet-4-5:input=1200,output=345,cache-read=20000,cache-write=5000,cache-write-1h=1000' \\
      --model-usage 'claude-haiku-4-5:input=800,output=60'
  $ spec-kitty agent telemetry emit -f 043-telemetry-foundation -r reviewer --failure --json`,
    )
    .action(async (options) => {
      const repoRoot = await findProjectRoot(io.cwd, options.repo);
      // A new folder beside the feature that was meant would split its log in two, silently.
      const like = await featuresLike(repoRoot, options.feature);
      if (like.length > 0) {
        throw new CliError(
          "FEATURE_LOOKS_MISTYPED",
          `no feature ${options.feature} under ${FEATURES_FOLDER}/, and it looks like ${like.join(", ")} (the same number, or its beginning): give the full name of the feature; a new feature needs a number of its own`,
        );
      }
      const featureDir = join(repoRoot, FEATURES_FOLDER, options.feature);
      const warnings: TelemetryWarning[] = [];
      const event = await emitExecutionEvent(
        featureDir,
        options.feature,
        options.wpId,
        options.agent,
        options.role,
        {
          model: options.model ?? null,
          inputTokens: options.inputTokens ?? null,
          outputTokens: options.outputTokens ?? null,
          cacheReadTokens: options.cacheReadTokens ?? null,
          cacheWriteTokens: options.cacheWriteTokens ?? null,
          cacheWrite1hTokens: options.cacheWrite1hTokens ?? null,
          reasoningTokens: options.reasoningTokens ?? null,
          models: options.modelUsage ?? [],
          costUsd: options.costUsd ?? null,
          untrustedCostUsd: options.untrustedCostUsd ?? null,
          source: "emit",
          durationMs: options.durationMs,
          // An error message means the invocation failed (--success with --error is refused).
          success: options.failure !== true && options.error === undefined,
          error: options.error ?? null,
          exitCode: options.exitCode ?? null,
          sessionId: options.sessionId ?? null,
          warn: (w) => {
            warnings.push(w);
            warningsTo(io)(w);
          },
        },
      );
      if (options.json) {
        const result = event
          ? {
              result: "success",
              feature: options.feature,
              role: options.role,
              agent: options.agent,
              model: options.model ?? null,
              event_id: event.event_id,
              lamport_clock: event.lamport_clock,
            }
          : { result: "error", error: warnings.map((w) => w.message).join("; ") };
        io.stdout(`${JSON.stringify(result)}\n`);
      } else if (event) {
        io.stdout(`✓ Telemetry event emitted: ${options.role} for ${options.feature}\n`);
      }
    });
}
