import { join, relative } from "node:path";
import type { AgentInvoker } from "../agents/contract.js";
import { type AgentId, createInvoker } from "../agents/registry.js";
import { loadBudgets } from "../telemetry/budgets.js";
import { CostAccumulator, type CostGroup } from "../telemetry/cost.js";
import type { Role } from "../telemetry/execution-payload.js";
import { type PicoUsd, picoFromUsd } from "../telemetry/money.js";
import { loadPricingTable } from "../telemetry/pricing.js";
import { costReport } from "../telemetry/report.js";
import type { TelemetryWarning, WarningSink } from "../telemetry/warnings.js";
import { BudgetGate } from "./budget-gate.js";
import { OrchestratorError } from "./errors.js";
import {
  type Invocation,
  type PipelineContext,
  type ProgressEvent,
  processWorkPackage,
  type WpRun,
} from "./pipeline.js";
import { implementerPrompt, reviewerPrompt } from "./prompts.js";
import { RunState, type WpOutcome } from "./run-state.js";
import { refuseBesideRunningAgents } from "./running-agents.js";
import {
  checkDependencies,
  loadWorkPackages,
  resolveFeature,
  type WorkPackage,
  workingDirectory,
} from "./work-packages.js";

/** What to run and how. */
export interface OrchestrateOptions {
  readonly projectRoot: string;
  readonly feature: string;
  readonly implementer: AgentId;
  readonly reviewer: AgentId;
  readonly fallback: AgentId | null;
  /** Only these work packages (default: all of the feature's). */
  readonly wpIds: readonly string[] | null;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly models?: Partial<Record<"implementer" | "reviewer" | "fallback", string>>;
  /** How long an agent has after SIGTERM (timeout) or a forwarded signal, before SIGKILL. */
  readonly killGraceMs?: number;
  /** After an agent exits, how long its output may take to drain (a leftover holds it open). */
  readonly drainMs?: number;
  /** What this run may spend, in USD (`--budget-usd`); the feature's budget file applies too. */
  readonly budgetUsd?: number;
}

/** A checked plan: the feature, its work packages in order, and the invokers. */
export interface OrchestrationPlan {
  readonly options: OrchestrateOptions;
  readonly feature: string;
  readonly featureDir: string;
  readonly selected: readonly WorkPackage[];
  readonly implementer: AgentInvoker;
  readonly reviewer: AgentInvoker;
  readonly fallback: AgentInvoker | null;
}

/**
 * Resolves the feature and checks everything that can be checked before an agent runs: the
 * prompt files and their frontmatter, the selection, dependencies and cycles.
 */
export async function planOrchestration(options: OrchestrateOptions): Promise<OrchestrationPlan> {
  const feature = await resolveFeature(options.projectRoot, options.feature);
  const packages = await loadWorkPackages(options.projectRoot, feature);
  checkDependencies(packages);
  const known = new Set(packages.map((wp) => wp.id));
  const missing = (options.wpIds ?? []).filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new OrchestratorError(
      "MISSING_PROMPT_FILE",
      `no prompt file for ${missing.join(", ")} in kitty-specs/${feature}/tasks/`,
    );
  }
  const wanted = options.wpIds === null ? known : new Set(options.wpIds);
  const invoker = (id: AgentId, model: string | undefined) =>
    createInvoker(id, { model, env: options.env });
  return {
    options,
    feature,
    featureDir: join(options.projectRoot, "kitty-specs", feature),
    selected: packages.filter((wp) => wanted.has(wp.id)),
    implementer: invoker(options.implementer, options.models?.implementer),
    reviewer: invoker(options.reviewer, options.models?.reviewer),
    fallback:
      options.fallback === null ? null : invoker(options.fallback, options.models?.fallback),
  };
}

/**
 * Refuses to start when an agent the plan needs is not on PATH, or says it would refuse its
 * role here (Claude Code implementing as root): nothing has started yet.
 */
export async function checkAgentsInstalled(plan: OrchestrationPlan): Promise<void> {
  const agents: readonly (readonly [AgentInvoker, Role])[] = [
    [plan.implementer, "implementer"],
    [plan.reviewer, "reviewer"],
    ...(plan.fallback ? [[plan.fallback, "implementer"] as const] : []),
  ];
  for (const [agent] of agents) {
    if (!(await agent.isInstalled())) {
      throw new OrchestratorError(
        "AGENT_NOT_INSTALLED",
        `${agent.agentId} is not installed: ${agent.command} is not on PATH`,
      );
    }
  }
  for (const [agent, role] of agents) {
    const problem = agent.preflight?.(role) ?? null;
    if (problem !== null) throw new OrchestratorError("AGENT_CANNOT_RUN", problem);
  }
}

/** One command a dry run shows. */
export interface PlannedCommand {
  readonly role: "implementer" | "reviewer" | "fallback";
  readonly agent: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where the prompt goes, and its length in characters. */
  readonly prompt: { readonly via: "stdin" | "argument"; readonly length: number };
}

/** The commands a run would start for each selected work package (first attempt); cwd relative. */
export async function dryRun(
  plan: OrchestrationPlan,
): Promise<{ wp: WorkPackage; cwd: string; commands: PlannedCommand[] }[]> {
  return Promise.all(
    plan.selected.map(async (wp) => {
      const cwd = await workingDirectory(plan.options.projectRoot, plan.feature, wp.id);
      const implement = implementerPrompt(plan.feature, wp, null);
      const review = reviewerPrompt(plan.feature, wp);
      const planned = (
        role: PlannedCommand["role"],
        invoker: AgentInvoker,
        prompt: string,
      ): PlannedCommand => {
        const built = invoker.buildCommand(
          prompt,
          cwd,
          role === "reviewer" ? "reviewer" : "implementer",
        );
        return {
          role,
          agent: invoker.agentId,
          command: built.command,
          // The prompt itself is shown as a placeholder; it is long and multi-line.
          args: built.args.map((a) => (a === prompt ? "<prompt>" : a)),
          prompt: { via: built.stdin === null ? "argument" : "stdin", length: prompt.length },
        };
      };
      const commands = [
        planned("implementer", plan.implementer, implement),
        planned("reviewer", plan.reviewer, review),
        ...(plan.fallback ? [planned("fallback", plan.fallback, implement)] : []),
      ];
      return { wp, cwd: relative(plan.options.projectRoot, cwd) || ".", commands };
    }),
  );
}

/** One row of the run's summary. */
export interface WpSummary {
  readonly wpId: string;
  readonly title: string;
  readonly outcome: WpOutcome;
  readonly attempts: number;
  readonly invocations: number;
  readonly durationSeconds: number;
  readonly inputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly outputTokens: number;
  /** Reported plus estimated, as `agent telemetry cost` counts the recorded events. */
  readonly cost: PicoUsd;
  readonly estimatedCost: PicoUsd;
  /** Recorded invocations whose cost is neither reported nor priceable (counted as 0). */
  readonly unpricedInvocations: number;
  readonly reason: string | null;
}

/** What a run did. */
export interface OrchestrationReport {
  readonly feature: string;
  readonly rows: readonly WpSummary[];
  /** Invocations whose event could not be written. */
  readonly unrecorded: number;
  /** The signal that stopped the run early (e.g. `SIGINT`), null when it ran to the end. */
  readonly interrupted: string | null;
  /** Why a budget stopped the run before it was done, null when none did. */
  readonly budgetStopped: string | null;
}

/**
 * Runs the plan: work packages whose dependencies are approved run, up to `concurrency` at a
 * time; those approved in an earlier run are skipped; dependants of a failed one are blocked.
 * Refuses to start while an agent of an earlier run on the feature still runs. Aborting
 * `interrupt` (its reason a signal name) forwards that signal to the running agents, records
 * their invocations as interrupted and starts nothing more.
 */
export async function runOrchestration(
  plan: OrchestrationPlan,
  hooks: {
    readonly onProgress: (event: ProgressEvent) => void;
    readonly warn: WarningSink;
    readonly interrupt?: AbortSignal;
  },
): Promise<OrchestrationReport> {
  const { options } = plan;
  const { interrupt } = hooks;
  await refuseBesideRunningAgents(options.projectRoot, plan.feature);
  const { state, problem } = await RunState.load(options.projectRoot, plan.feature);
  const warnOnce = onceSink(hooks.warn);
  if (problem) hooks.onProgress({ type: "note", message: problem });
  // The cost of this run's events, priced exactly as the cost report prices them.
  const pricing = await loadPricingTable(options.projectRoot, { warn: hooks.warn });
  const budget = await budgetGate(plan, pricing, hooks.warn);
  const ctx: PipelineContext = {
    projectRoot: options.projectRoot,
    feature: plan.feature,
    featureDir: plan.featureDir,
    implementer: plan.implementer,
    reviewer: plan.reviewer,
    fallback: plan.fallback,
    maxRetries: options.maxRetries,
    timeoutMs: options.timeoutMs,
    ...(options.killGraceMs !== undefined && { killGraceMs: options.killGraceMs }),
    ...(options.drainMs !== undefined && { drainMs: options.drainMs }),
    ...(interrupt !== undefined && { interrupt }),
    ...(budget !== undefined && { budget }),
    env: options.env,
    workingDir: (wp) => workingDirectory(options.projectRoot, plan.feature, wp.id),
    onProgress: hooks.onProgress,
    warn: warnOnce,
  };
  const selected = new Set(plan.selected.map((wp) => wp.id));
  const runs = new Map<string, WpRun>();
  // A dependency outside the selection counts as done: the user chose to leave it out.
  const done = (id: string) =>
    !selected.has(id) || state.isApproved(id) || runs.get(id)?.outcome === "approved";
  const settled = (id: string) => runs.has(id);
  const settle = (wp: WorkPackage, outcome: "skipped" | "blocked", reason: string) => {
    const run: WpRun = { wp, outcome, attempts: 0, invocations: [], reason };
    runs.set(wp.id, run);
    hooks.onProgress({ type: "wp-skipped", summary: run });
  };
  for (const wp of plan.selected) {
    if (state.isApproved(wp.id)) settle(wp, "skipped", "approved in an earlier run");
  }
  const running = new Map<string, Promise<void>>();
  for (;;) {
    // Blocking one work package may block its dependants: repeat until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (const wp of plan.selected.filter((w) => !settled(w.id) && !running.has(w.id))) {
        const blockedBy = wp.dependencies.find((d) => settled(d) && !done(d));
        if (blockedBy !== undefined) {
          settle(wp, "blocked", `${blockedBy} was not approved`);
          changed = true;
        }
      }
    }
    const ready =
      interrupt?.aborted || budget?.exhausted() != null
        ? []
        : plan.selected.filter(
            (wp) => !settled(wp.id) && !running.has(wp.id) && wp.dependencies.every(done),
          );
    for (const wp of ready.slice(0, Math.max(0, options.concurrency - running.size))) {
      running.set(
        wp.id,
        processWorkPackage(ctx, wp).then(async (run) => {
          runs.set(wp.id, run);
          running.delete(wp.id);
          await state.record(wp.id, run.outcome, run.attempts).catch((e: unknown) => {
            hooks.warn({
              code: "RUN_STATE_FAILED",
              message: `could not save the run state: ${e instanceof Error ? e.message : e}`,
            });
          });
        }),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  const costs = new CostAccumulator(["wp"], pricing);
  for (const run of runs.values()) {
    for (const { event } of run.invocations) if (event) costs.add(event);
  }
  const byWp = new Map(costs.groups().map((g) => [g.groupKey, g]));
  const interrupted = interrupt?.aborted ? String(interrupt.reason) : null;
  const budgetStopped = interrupted === null ? (budget?.exhausted() ?? null) : null;
  const notRun = (wp: WorkPackage): WpRun =>
    interrupted === null && budgetStopped === null
      ? { wp, outcome: "blocked", attempts: 0, invocations: [], reason: "never ready" }
      : {
          wp,
          outcome: "interrupted",
          attempts: 0,
          invocations: [],
          reason: budgetStopped === null ? "not started" : `not started: ${budgetStopped}`,
        };
  const rows = plan.selected.map((wp) => summarise(runs.get(wp.id) ?? notRun(wp), byWp.get(wp.id)));
  return {
    feature: plan.feature,
    rows,
    unrecorded: countUnrecorded([...runs.values()]),
    interrupted,
    // Only when it left something undone (it may be reached by the very last invocation).
    budgetStopped: rows.some((r) => r.outcome === "interrupted") ? budgetStopped : null,
  };
}

/**
 * The budget that applies to the run: the feature's in `.kittify/budgets.yaml` (a malformed
 * file fails here, before any agent starts) and `budgetUsd`; undefined when neither is set.
 */
async function budgetGate(
  plan: OrchestrationPlan,
  pricing: Awaited<ReturnType<typeof loadPricingTable>>,
  warn: WarningSink,
): Promise<BudgetGate | undefined> {
  const { projectRoot, budgetUsd } = plan.options;
  const featureBudget = (await loadBudgets(projectRoot))?.features.get(plan.feature);
  if (featureBudget === undefined && budgetUsd === undefined) return undefined;
  // What the feature's events cost before this run, as `cost --group-by feature` says.
  const report = await costReport(
    { repoRoot: projectRoot, feature: plan.feature, warn },
    ["feature"],
    pricing,
  );
  const before = report.groups.find((g) => g.groupKey === plan.feature)?.totalCost;
  return new BudgetGate({
    pricing,
    feature: plan.feature,
    featureBudget,
    featureSpent: before ?? (0n as PicoUsd),
    runBudget: budgetUsd === undefined ? undefined : picoFromUsd(budgetUsd),
  });
}

function countUnrecorded(runs: readonly WpRun[]): number {
  return runs.flatMap((r) => r.invocations).filter((i) => i.event === undefined).length;
}

function summarise(run: WpRun, cost: CostGroup | undefined): WpSummary {
  const sum = (pick: (i: Invocation) => number | null) =>
    run.invocations.reduce((total, i) => total + (pick(i) ?? 0), 0);
  return {
    wpId: run.wp.id,
    title: run.wp.title,
    outcome: run.outcome,
    attempts: run.attempts,
    invocations: run.invocations.length,
    durationSeconds: sum((i) => i.result.durationSeconds),
    inputTokens: sum((i) => i.result.inputTokens),
    cacheReadTokens: sum((i) => i.result.cacheReadTokens),
    cacheWriteTokens: sum((i) => i.result.cacheWriteTokens),
    outputTokens: sum((i) => i.result.outputTokens),
    cost: cost?.totalCost ?? (0n as PicoUsd),
    estimatedCost: cost?.estimatedCost ?? (0n as PicoUsd),
    unpricedInvocations: (cost?.unpricedEventCount ?? 0) + (cost?.noUsageEventCount ?? 0),
    reason: run.reason,
  };
}

/** Passes on the first warning per code and file; an unwritable folder is reported once. */
function onceSink(downstream: WarningSink): WarningSink {
  const seen = new Set<string>();
  return (warning: TelemetryWarning) => {
    const key = `${warning.code}\u0000${warning.file ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    downstream(warning);
  };
}
