import { type AgentInvoker, type InvocationResult, NO_USAGE } from "../agents/contract.js";
import type { Event } from "../events/event.js";
import { type EmitOptions, emitExecutionEvent } from "../telemetry/emit.js";
import type { WarningSink } from "../telemetry/warnings.js";
import type { BudgetGate } from "./budget-gate.js";
import { runProcess } from "./executor.js";
import { gitChangesSince, gitSnapshot } from "./git-changes.js";
import { implementerPrompt, reviewerPrompt } from "./prompts.js";
import { parseVerdict, type Verdict } from "./review-verdict.js";
import type { WpOutcome } from "./run-state.js";
import { recordRunningAgent, removeRunningAgent } from "./running-agents.js";
import type { WorkPackage } from "./work-packages.js";

/** The roles the pipeline runs agents in. */
export type PipelineRole = "implementer" | "reviewer";

/** One agent invocation, as run and as recorded. */
export interface Invocation {
  readonly wpId: string;
  readonly role: PipelineRole;
  readonly agent: string;
  /** The implementation attempt it belongs to (1 = first). */
  readonly attempt: number;
  readonly result: InvocationResult;
  /** Its ExecutionEvent; undefined when it could not be written. */
  readonly event: Event | undefined;
}

/** What the pipeline reports as it goes. */
export type ProgressEvent =
  | { readonly type: "note"; readonly message: string }
  | { readonly type: "wp-started"; readonly wp: WorkPackage }
  | { readonly type: "wp-skipped"; readonly summary: WpRun }
  | {
      readonly type: "invocation-started";
      readonly wpId: string;
      readonly role: PipelineRole;
      readonly agent: string;
      readonly attempt: number;
    }
  | { readonly type: "invocation-finished"; readonly invocation: Invocation }
  | { readonly type: "verdict"; readonly wpId: string; readonly verdict: Verdict }
  | { readonly type: "wp-finished"; readonly summary: WpRun };

/** How one work package went in this run. */
export interface WpRun {
  readonly wp: WorkPackage;
  readonly outcome: WpOutcome;
  /** Implementation attempts made (retries after rejection count, fallbacks do not). */
  readonly attempts: number;
  readonly invocations: readonly Invocation[];
  readonly reason: string | null;
}

/** Everything the pipeline needs, injected. */
export interface PipelineContext {
  readonly projectRoot: string;
  readonly feature: string;
  readonly featureDir: string;
  readonly implementer: AgentInvoker;
  readonly reviewer: AgentInvoker;
  readonly fallback: AgentInvoker | null;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly killGraceMs?: number;
  readonly drainMs?: number;
  /** Aborted (with a signal name as reason) to stop the run: running agents get that signal. */
  readonly interrupt?: AbortSignal;
  /** Says when no further invocation may start (a budget is reached); running ones finish. */
  readonly budget?: BudgetGate;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The work package's working directory. */
  readonly workingDir: (wp: WorkPackage) => Promise<string>;
  readonly onProgress: (event: ProgressEvent) => void;
  /** Receives emission failures; the run goes on. */
  readonly warn: WarningSink;
}

/** Runs one agent on a prompt, records one ExecutionEvent for it, and never throws. */
async function invoke(
  ctx: PipelineContext,
  invoker: AgentInvoker,
  role: PipelineRole,
  wp: WorkPackage,
  prompt: string,
  attempt: number,
): Promise<Invocation> {
  ctx.onProgress({
    type: "invocation-started",
    wpId: wp.id,
    role,
    agent: invoker.agentId,
    attempt,
  });
  const cwd = await ctx.workingDir(wp);
  const command = invoker.buildCommand(prompt, cwd, role);
  const before = await gitSnapshot(cwd);
  let pidFile: string | null = null;
  const result = await runProcess({
    ...command,
    cwd,
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    ...(ctx.killGraceMs !== undefined && { killGraceMs: ctx.killGraceMs }),
    ...(ctx.drainMs !== undefined && { drainMs: ctx.drainMs }),
    ...(ctx.interrupt !== undefined && { signal: ctx.interrupt }),
    onStarted: ({ pid, startTime }) => {
      pidFile = leavePidFile(ctx, {
        feature: ctx.feature,
        wpId: wp.id,
        role,
        agent: invoker.agentId,
        pid,
        startTime,
        startedAt: new Date().toISOString(),
      });
    },
  }).then(
    async (out) => {
      const parsed = await invoker.parseOutput(
        out.stdout,
        out.stderr,
        out.exitCode,
        out.durationSeconds,
      );
      const changes = await gitChangesSince(before);
      const notes = [
        ...(out.truncated.stdout
          ? ["stdout exceeded the capture limit; its start was dropped"]
          : []),
        ...(out.truncated.stderr
          ? ["stderr exceeded the capture limit; its start was dropped"]
          : []),
      ];
      return {
        ...parsed,
        filesModified: changes.filesModified,
        commitsMade: changes.commitsMade,
        ...(out.timedOut && {
          success: false,
          errors: [`timed out after ${ctx.timeoutMs / 1000}s`, ...parsed.errors],
        }),
        // Whatever the agent said as it was stopped, the reason it ended is the signal.
        ...(out.interrupted !== null && {
          success: false,
          errors: [`interrupted by ${out.interrupted}; the agent was stopped`],
        }),
        warnings: [...parsed.warnings, ...notes],
      } satisfies InvocationResult;
    },
    (e: unknown) => notStarted(e),
  );
  // The agent and everything it started are gone now.
  if (pidFile !== null) removeRunningAgent(pidFile);
  const event = await emitExecutionEvent(
    ctx.featureDir,
    ctx.feature,
    wp.id,
    invoker.agentId,
    role,
    { ...recordedFields(result), warn: ctx.warn },
  );
  if (event !== undefined) ctx.budget?.record(event);
  const invocation = {
    wpId: wp.id,
    role,
    agent: invoker.agentId,
    attempt,
    result,
    event,
  };
  ctx.onProgress({ type: "invocation-finished", invocation });
  return invocation;
}

/** What the event of an invocation records of its result (the end-to-end tests record the same). */
export function recordedFields(result: InvocationResult): EmitOptions {
  return {
    model: result.model,
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    cacheReadTokens: result.cacheReadTokens,
    cacheWriteTokens: result.cacheWriteTokens,
    reasoningTokens: result.reasoningTokens,
    // Each model's share when the agent told it; the totals recorded are then their sums.
    models: result.models,
    costUsd: result.costUsd,
    untrustedCostUsd: result.untrustedCostUsd,
    source: "orchestrate",
    durationMs: result.durationSeconds * 1000,
    success: result.success,
    error: result.success ? null : result.errors.join("; "),
    exitCode: result.exitCode,
    sessionId: result.sessionId,
  };
}

/** A pid file for a started agent; a failure to write one is a warning, not a reason to stop. */
function leavePidFile(
  ctx: PipelineContext,
  agent: Parameters<typeof recordRunningAgent>[1],
): string | null {
  try {
    return recordRunningAgent(ctx.projectRoot, agent);
  } catch (e) {
    ctx.warn({
      code: "RUN_STATE_FAILED",
      message: `could not leave a pid file for ${agent.agent} on ${agent.wpId}: ${e instanceof Error ? e.message : e}`,
    });
    return null;
  }
}

function notStarted(e: unknown): InvocationResult {
  return {
    success: false,
    exitCode: null,
    stdout: "",
    stderr: "",
    durationSeconds: 0,
    filesModified: [],
    commitsMade: [],
    errors: [e instanceof Error ? e.message : String(e)],
    warnings: [],
    ...NO_USAGE,
    sessionId: null,
    responseText: null,
  };
}

/** The primary agent, then the fallback when it failed (and is a different agent). */
async function withFallback(
  ctx: PipelineContext,
  primary: AgentInvoker,
  role: PipelineRole,
  wp: WorkPackage,
  prompt: string,
  attempt: number,
  usable: (i: Invocation) => boolean,
): Promise<Invocation[]> {
  const first = await invoke(ctx, primary, role, wp, prompt, attempt);
  const fallback = ctx.fallback;
  if (usable(first) || fallback === null || fallback.agentId === primary.agentId) return [first];
  if (ctx.interrupt?.aborted || budgetStop(ctx) !== null) return [first];
  return [first, await invoke(ctx, fallback, role, wp, prompt, attempt)];
}

/** Runs the implementer on a work package (with the reviewer's feedback when retrying). */
export async function processWpImplementation(
  ctx: PipelineContext,
  wp: WorkPackage,
  attempt: number,
  feedback: string | null,
): Promise<{ readonly success: boolean; readonly invocations: readonly Invocation[] }> {
  const prompt = implementerPrompt(ctx.feature, wp, feedback);
  const invocations = await withFallback(
    ctx,
    ctx.implementer,
    "implementer",
    wp,
    prompt,
    attempt,
    (i) => i.result.success,
  );
  return { success: invocations.at(-1)?.result.success === true, invocations };
}

/** Runs the reviewer on a work package's implementation and reads its verdict. */
export async function processWpReview(
  ctx: PipelineContext,
  wp: WorkPackage,
  attempt: number,
): Promise<{ readonly verdict: Verdict; readonly invocations: readonly Invocation[] }> {
  const prompt = reviewerPrompt(ctx.feature, wp);
  const verdictOf = (i: Invocation): Verdict =>
    i.result.success ? parseVerdict(i.result.responseText) : { kind: "none" };
  // A review without a verdict is as useless as a failed one: the fallback reviews instead.
  const invocations = await withFallback(
    ctx,
    ctx.reviewer,
    "reviewer",
    wp,
    prompt,
    attempt,
    (i) => verdictOf(i).kind !== "none",
  );
  const last = invocations.at(-1);
  const verdict: Verdict = last === undefined ? { kind: "none" } : verdictOf(last);
  ctx.onProgress({ type: "verdict", wpId: wp.id, verdict });
  return { verdict, invocations };
}

/** Implement, review, and on rejection implement again with the feedback, up to the retry limit. */
export async function processWorkPackage(ctx: PipelineContext, wp: WorkPackage): Promise<WpRun> {
  ctx.onProgress({ type: "wp-started", wp });
  const invocations: Invocation[] = [];
  let feedback: string | null = null;
  let run: WpRun | undefined;
  for (let attempt = 1; run === undefined; attempt++) {
    // No agent is started once the run is being stopped.
    const halt = ctx.interrupt?.aborted ? interruption(ctx.interrupt) : budgetStop(ctx);
    if (halt !== null) {
      run = finished(wp, "interrupted", attempt - 1, invocations, halt);
      break;
    }
    const implementation = await processWpImplementation(ctx, wp, attempt, feedback);
    invocations.push(...implementation.invocations);
    if (ctx.interrupt?.aborted) {
      run = finished(wp, "interrupted", attempt, invocations, interruption(ctx.interrupt));
      break;
    }
    if (!implementation.success) {
      run = finished(wp, "failed", attempt, invocations, "the implementer failed");
      break;
    }
    const stop = budgetStop(ctx);
    if (stop !== null) {
      run = finished(wp, "interrupted", attempt, invocations, stop);
      break;
    }
    const review = await processWpReview(ctx, wp, attempt);
    invocations.push(...review.invocations);
    if (ctx.interrupt?.aborted) {
      run = finished(wp, "interrupted", attempt, invocations, interruption(ctx.interrupt));
      break;
    }
    const verdict = review.verdict;
    switch (verdict.kind) {
      case "approved":
        run = finished(wp, "approved", attempt, invocations, null);
        break;
      case "none":
        run = finished(wp, "failed", attempt, invocations, "the review gave no verdict");
        break;
      case "rejected":
        if (attempt > ctx.maxRetries) {
          run = finished(wp, "rejected", attempt, invocations, verdict.feedback);
        }
        feedback = verdict.feedback;
        break;
      default:
        verdict satisfies never;
    }
  }
  ctx.onProgress({ type: "wp-finished", summary: run });
  return run;
}

/** Why a budget forbids starting another invocation, or null. */
function budgetStop(ctx: PipelineContext): string | null {
  const reason = ctx.budget?.exhausted() ?? null;
  return reason === null ? null : `not started: ${reason}`;
}

function interruption(signal: AbortSignal): string {
  return `interrupted by ${String(signal.reason)}`;
}

function finished(
  wp: WorkPackage,
  outcome: WpOutcome,
  attempts: number,
  invocations: readonly Invocation[],
  reason: string | null,
): WpRun {
  return { wp, outcome, attempts, invocations: [...invocations], reason };
}
