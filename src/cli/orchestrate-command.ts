import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { AGENT_IDS, type AgentId, isAgentId } from "../agents/registry.js";
import {
  checkAgentsInstalled,
  dryRun,
  planOrchestration,
  runOrchestration,
} from "../orchestrator/orchestrate.js";
import { BUDGET_EXIT_CODE } from "../telemetry/budgets.js";
import { CliError } from "./errors.js";
import { colorsFor, outputWidth } from "./output.js";
import type { ProgramIo } from "./program-io.js";
import { findProjectRoot } from "./project-root.js";
import { progressLine, renderDryRun, renderSummary } from "./render-orchestrate.js";
import {
  COLOR_HELP,
  color,
  noColor,
  nonNegativeInteger,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  repo,
  warningsTo,
  wide,
} from "./shared-options.js";

function agent(value: string): AgentId {
  if (!isAgentId(value)) {
    throw new InvalidArgumentError(`unknown agent; one of ${AGENT_IDS.join(", ")}`);
  }
  return value;
}

/** The exit code of a process ended by `signal`, as shells report it: 128 + its number. */
const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const satisfies Partial<
  Record<NodeJS.Signals, number>
>;
type ForwardedSignal = keyof typeof SIGNAL_EXIT;
// SIGHUP too: a closed terminal would otherwise leave the agents running, writing and spending.
const FORWARDED = ["SIGHUP", "SIGINT", "SIGTERM"] as const satisfies readonly ForwardedSignal[];

function isForwarded(value: unknown): value is ForwardedSignal {
  return FORWARDED.some((s) => s === value);
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
packages already approved. Progress goes to stderr, the summary table to stdout.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the running agents (the signal, then SIGKILL after
--kill-grace), records them as interrupted and exits 130, 143 or 129; run again to resume.
A budget stops the run before the next invocation (running ones finish and are recorded) once
the feature's recorded spend reaches its budget in .kittify/budgets.yaml, or this run's spend
reaches --budget-usd: the work packages left are recorded as interrupted, and it exits ${BUDGET_EXIT_CODE};
raise the budget and run again to resume.`;

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
      positiveInteger,
      1,
    )
    .option(
      "--timeout <seconds>",
      "per agent invocation; the agent and everything it started are killed",
      positiveNumber,
      1800,
    )
    .option(
      "--kill-grace <seconds>",
      "how long a stopped agent (timeout, Ctrl-C) has before SIGKILL",
      positiveNumber,
      5,
    )
    .option("--max-retries <n>", "implementation retries after a rejection", nonNegativeInteger, 2)
    .option(
      "--budget-usd <usd>",
      "what this run may spend; no invocation starts once it is reached",
      nonNegativeNumber,
    )
    .option("--dry-run", "print, per work package, the exact command lines; run nothing")
    .addOption(repo())
    .addOption(wide())
    .addOption(color())
    .addOption(noColor())
    .addHelpText("after", EXAMPLES)
    .addHelpText("after", COLOR_HELP)
    .action(async (opts) => {
      const projectRoot = await findProjectRoot(io.cwd, opts.repo);
      // Progress goes to stderr: its colours follow stderr's terminal, the table's stdout's.
      const c = colorsFor({ ...io, columns: io.stderrIsTty ? 80 : undefined }, opts.color);
      const plan = await planOrchestration({
        projectRoot,
        feature: opts.feature,
        implementer: agent(opts.implementer),
        reviewer: agent(opts.reviewer),
        fallback: opts.fallback === undefined ? null : agent(opts.fallback),
        wpIds: opts.wp ?? null,
        concurrency: opts.concurrency,
        timeoutMs: opts.timeout * 1000,
        killGraceMs: opts.killGrace * 1000,
        maxRetries: opts.maxRetries,
        ...(opts.budgetUsd !== undefined && { budgetUsd: opts.budgetUsd }),
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
      // The agents run in process groups of their own, out of reach of the terminal's Ctrl-C:
      // the signal is forwarded to them, and the run ends once they are stopped and recorded.
      const interrupt = new AbortController();
      const onSignal = (signal: ForwardedSignal) => {
        if (interrupt.signal.aborted) return;
        io.stderr(
          `${signal}: stopping the running agents (SIGKILL after ${opts.killGrace}s) and recording them\n`,
        );
        interrupt.abort(signal);
      };
      const handlers = FORWARDED.map((signal) => [signal, () => onSignal(signal)] as const);
      for (const [signal, handler] of handlers) process.on(signal, handler);
      const report = await runOrchestration(plan, {
        onProgress: (event) => {
          const line = progressLine(event, c);
          if (line !== null) io.stderr(`${line}\n`);
        },
        warn: warningsTo(io),
        interrupt: interrupt.signal,
      }).finally(() => {
        for (const [signal, handler] of handlers) process.off(signal, handler);
      });
      io.stdout(
        renderSummary(report, colorsFor(io, opts.color), {
          width: outputWidth(io),
          wide: opts.wide,
        }),
      );
      const signal: unknown = interrupt.signal.reason;
      if (interrupt.signal.aborted && isForwarded(signal)) {
        const open = report.rows.filter((r) => r.outcome !== "approved" && r.outcome !== "skipped");
        const message = `interrupted by ${signal}: ${open.length} of ${report.rows.length} work packages not finished (${open.map((r) => r.wpId).join(", ")}); run the same command again to resume`;
        io.stderr(`spec-kitty: ${message}\n`);
        // runCli turns a CommanderError into its exit code without printing it again.
        throw new CommanderError(SIGNAL_EXIT[signal], "spec-kitty.interrupted", message);
      }
      if (report.budgetStopped !== null) {
        const open = report.rows.filter((r) => r.outcome !== "approved" && r.outcome !== "skipped");
        const message = `stopped: ${report.budgetStopped}; ${open.length} of ${report.rows.length} work packages not finished (${open.map((r) => r.wpId).join(", ")}); raise the budget and run the same command again to resume`;
        io.stderr(`spec-kitty: ${message}\n`);
        throw new CommanderError(BUDGET_EXIT_CODE, "spec-kitty.budget-reached", message);
      }
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
