import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import type { InvocationResult, Usage } from "./contract.js";

/**
 * The JSON objects in an agent's output, in order, whatever its shape: one (possibly
 * pretty-printed) object, an array of them, or JSON lines mixed with plain-text lines.
 * Anything that does not parse is skipped; this never throws.
 */
export function jsonRecords(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const whole = tryParse(trimmed);
  if (whole !== undefined) return (Array.isArray(whole) ? whole : [whole]).filter(isObject);
  const lines = trimmed
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("{"))
    .map(tryParse)
    .filter(isObject);
  if (lines.length > 0) return lines;
  // A pretty-printed object after plain-text warning lines (Gemini prints those first).
  const start = trimmed.indexOf("{");
  const span = start < 0 ? undefined : tryParse(trimmed.slice(start));
  return isObject(span) ? [span] : [];
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a parser found in the output, before the exit code has its say. */
export interface ParsedRun {
  readonly success: boolean;
  readonly errors?: readonly string[];
  readonly warnings?: readonly string[];
  readonly usage?: Partial<Usage>;
  readonly sessionId?: string | null | undefined;
  readonly responseText?: string | null | undefined;
}

/** One finished run of an agent, as a parser reads it: its output, and stdout's JSON records. */
export interface AgentRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly durationSeconds: number;
  /** The `--model` we passed, if any. */
  readonly requestedModel: string | null;
  /** The JSON records of stdout (see `jsonRecords`), read once for every parser. */
  readonly records: Record<string, unknown>[];
}

/** The run a parser reads, its stdout's records read once. */
export function agentRun(
  stdout: string,
  stderr: string,
  exitCode: number | null,
  durationSeconds: number,
  requestedModel: string | null,
): AgentRun {
  const records = jsonRecords(stdout);
  return { stdout, stderr, exitCode, durationSeconds, requestedModel, records };
}

/**
 * The invocation result from what the parser found: a non-zero exit is always a failure, and a
 * failure always carries at least one error (the exit code and stderr's last line otherwise).
 */
export function invocationResult(run: AgentRun, parsed: ParsedRun): InvocationResult {
  const { stdout, stderr, exitCode, durationSeconds } = run;
  const success = parsed.success && exitCode === 0;
  const errors = [...(parsed.errors ?? [])];
  if (!success && errors.length === 0) {
    const lastLine = lastNonEmptyLine(stderr);
    const exit = exitCode === null ? "was killed" : `exited with code ${exitCode}`;
    errors.push(lastLine === null ? `the agent ${exit}` : `the agent ${exit}: ${lastLine}`);
  }
  const usage = parsed.usage ?? {};
  return {
    success,
    exitCode,
    stdout,
    stderr,
    durationSeconds,
    filesModified: [],
    commitsMade: [],
    errors,
    warnings: [...(parsed.warnings ?? [])],
    model: usage.model ?? null,
    inputTokens: usage.inputTokens ?? null,
    outputTokens: usage.outputTokens ?? null,
    cacheReadTokens: usage.cacheReadTokens ?? null,
    cacheWriteTokens: usage.cacheWriteTokens ?? null,
    reasoningTokens: usage.reasoningTokens ?? null,
    costUsd: usage.costUsd ?? null,
    untrustedCostUsd: usage.untrustedCostUsd ?? null,
    models: usage.models ?? [],
    sessionId: parsed.sessionId ?? null,
    responseText: parsed.responseText ?? null,
  };
}

/** The last line of `text` with something on it, or null. */
export function lastNonEmptyLine(text: string): string | null {
  const lines = text.split("\n").map((l) => l.trim());
  return lines.findLast((l) => l !== "") ?? null;
}

/** The sum of the numbers that are known; null when none is. */
export function sumKnown(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === "number");
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** `total - part`, never below zero (an agent's inclusive count minus what it says is inside). */
export function minusKnown(
  total: number | null,
  ...parts: (number | null | undefined)[]
): number | null {
  if (total === null) return null;
  return Math.max(0, total - (sumKnown(parts) ?? 0));
}

/** Whether `command` is an executable file on the PATH of `env`. */
export async function isOnPath(
  command: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  const dirs = command.includes("/") ? [""] : (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const found = await access(dir === "" ? command : join(dir, command), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return true;
  }
  return false;
}
