import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { AGENT_IDS, type AgentId, isAgentId } from "../orchestrator/agents/registry.js";
import {
  checkAgentsInstalled,
  dryRun,
  planOrchestration,
  runOrchestration,
} from "../orchestrator/orchestrate.js";
import { CliError } from "./errors.js";
import { colorsFor } from "./output.js";
import type { ProgramIo } from "./program.js";
import { findProjectRoot } from "./project-root.js";
import { progressLine, renderDryRun, renderSummary } from "./render-orchestrate.js";
import { printable } from "./terminal-text.js";

function agent(value: string): AgentId {
  if (!isAgentId(value)) {
    throw new InvalidArgumentError(`unknown agent; one of ${AGENT_IDS.join(", ")}`);
  }
  return value;
}

function count(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected seconds > 0");
  return n;
}

function wpList(value: string): string[] {
  const ids = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError("expected WP ids, e.g. WP01,WP02");
  return ids;
}

const EXAMPLES = `
Examples:
  spec-kitty orchestrate --feature 043 --dry-run
  spec-kitty orchestrate --feature 043-telemetry --implementer claude --reviewer codex --fallback gemini
  spec-kitty orchestrate --feature 043 --wp WP02,WP03 --concurrency 2 --timeout 1800 --max-retries 1

Each invocation is recorded as an ExecutionEvent in kitty-specs/<feature>/execution.events.jsonl;
progress is saved in .kittify/orchestrate/<feature>.json, so a run started again skips the work
packages already approved. Progress goes to stderr, the summary table to stdout.`;

/** `spec-kitty orchestrate`: runs implementer and reviewer agents on a feature's work packages. */
export function orchestrateCommand(io: ProgramIo) {
  return new Command("orchestrate")
    .description("Run agent CLIs on a feature's work packages: implement, review, retry, record.")
    .requiredOption(
      "--feature <slug>",
      "the feature (its folder name under kitty-specs/, or a unique prefix)",
    )
    .addOption(
      new Option("--implementer <agent>", "the implementing agent")
        .choices(AGENT_IDS)
        .default("claude"),
    )
    .addOption(
      new Option("--reviewer <agent>", "the reviewing agent").choices(AGENT_IDS).default("claude"),
    )
    .addOption(
      new Option("--fallback <agent>", "the agent tried when one fails").choices(AGENT_IDS),
    )
    .option("--implementer-model <id>", "the model the implementer is asked to use")
    .option("--reviewer-model <id>", "the model the reviewer is asked to use")
    .option("--fallback-model <id>", "the model the fallback agent is asked to use")
    .option("--wp <ids>", "only these work packages, comma-separated (e.g. WP01,WP02)", wpList)
    .option(
      "--concurrency <n>",
      "work packages run at once, once their dependencies are done",
      count(1),
      1,
    )
    .option(
      "--timeout <seconds>",
      "per agent invocation; the whole process group is killed",
      seconds,
      1800,
    )
    .option("--max-retries <n>", "implementation retries after a rejection", count(0), 2)
    .option("--dry-run", "print, per work package, the exact command lines; run nothing")
    .option("--repo <dir>", "the project root (default: found from the working directory)")
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      const projectRoot = await findProjectRoot(io.cwd, opts.repo);
      // Progress goes to stderr: its colours follow stderr's terminal, the table's stdout's.
      const c = colorsFor({ ...io, columns: io.stderrIsTty ? 80 : undefined });
      const plan = await planOrchestration({
        projectRoot,
        feature: opts.feature,
        implementer: agent(opts.implementer),
        reviewer: agent(opts.reviewer),
        fallback: opts.fallback === undefined ? null : agent(opts.fallback),
        wpIds: opts.wp ?? null,
        concurrency: opts.concurrency,
        timeoutMs: opts.timeout * 1000,
        maxRetries: opts.maxRetries,
        env: io.env,
        models: {
          ...(opts.implementerModel !== undefined && { implementer: opts.implementerModel }),
          ...(opts.reviewerModel !== undefined && { reviewer: opts.reviewerModel }),
          ...(opts.fallbackModel !== undefined && { fallback: opts.fallbackModel }),
        },
      });
      if (opts.dryRun) {
        io.stdout(renderDryRun(plan.feature, await dryRun(plan)));
        return;
      }
      await checkAgentsInstalled(plan);
      const report = await runOrchestration(plan, {
        onProgress: (event) => {
          const line = progressLine(event, c);
          if (line !== null) io.stderr(`${line}\n`);
        },
        warn: (warning) => io.stderr(`warning: ${printable(warning.message)}\n`),
      });
      io.stdout(renderSummary(report, colorsFor(io)));
      const notApproved = report.rows.filter(
        (r) => r.outcome !== "approved" && r.outcome !== "skipped",
      );
      if (notApproved.length > 0) {
        throw new CliError(
          "ORCHESTRATE_FAILED",
          `${notApproved.length} of ${report.rows.length} work packages not approved: ${notApproved.map((r) => `${r.wpId} ${r.outcome}`).join(", ")}`,
        );
      }
    });
}
