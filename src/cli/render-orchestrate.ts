import type {
  OrchestrationReport,
  PlannedCommand,
  WpSummary,
} from "../orchestrator/orchestrate.js";
import type { ProgressEvent } from "../orchestrator/pipeline.js";
import type { WorkPackage } from "../orchestrator/work-packages.js";
import { formatUsd, PicoSum, type PicoUsd } from "../telemetry/money.js";
import type { Colors } from "./output.js";
import { layoutNote, renderFitting, type TableSpec, wrapText } from "./table.js";
import { printable } from "./terminal-text.js";

const count = (n: number) => n.toLocaleString("en-US");
const usd = (n: number) => n.toFixed(4);

/** A duration as people read it: `8.7s`, `2m 05s`, `1h 02m`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** One progress line for stderr, or null for events not worth a line. */
export function progressLine(event: ProgressEvent, c: Colors): string | null {
  switch (event.type) {
    case "note":
      return `warning: ${printable(event.message)}`;
    case "wp-started":
      return `${c.bold(printable(event.wp.id))} started: ${printable(event.wp.title)}`;
    case "wp-skipped":
      return `${c.bold(printable(event.summary.wp.id))} ${event.summary.outcome}: ${printable(event.summary.reason ?? "")}`;
    case "invocation-started":
      return `${printable(event.wpId)} ${event.role} ${event.agent} (attempt ${event.attempt}) running...`;
    case "invocation-finished": {
      const { wpId, role, agent, result } = event.invocation;
      const tokens =
        result.inputTokens === null && result.outputTokens === null
          ? "no usage reported"
          : `${count((result.inputTokens ?? 0) + (result.cacheReadTokens ?? 0) + (result.cacheWriteTokens ?? 0))} in / ${count(result.outputTokens ?? 0)} out`;
      const cost = result.costUsd === null ? "" : `, $${usd(result.costUsd)}`;
      const files = result.filesModified.length;
      const commits = result.commitsMade.length;
      const changes =
        files + commits === 0
          ? ""
          : `, ${files} ${files === 1 ? "file" : "files"} changed, ${commits} ${commits === 1 ? "commit" : "commits"}`;
      const status = result.success
        ? c.green("ok")
        : c.red(`failed: ${printable(result.errors.join("; "))}`);
      return `${printable(wpId)} ${role} ${agent} ${status} in ${formatDuration(result.durationSeconds)} (${tokens}${cost}${changes})`;
    }
    case "verdict":
      return event.verdict.kind === "rejected"
        ? `${printable(event.wpId)} review: ${c.yellow("rejected")}: ${printable(firstLine(event.verdict.feedback))}`
        : `${printable(event.wpId)} review: ${event.verdict.kind === "approved" ? c.green("approved") : c.red("no verdict")}`;
    case "wp-finished":
      return `${c.bold(printable(event.summary.wp.id))} ${event.summary.outcome} after ${event.summary.attempts} attempt(s)`;
    default:
      return event satisfies never;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

interface SummaryLayout {
  readonly spec: TableSpec;
  readonly note?: string;
}

/**
 * The summary table: one row per work package and a total. Given a `width` (and not `wide`), a
 * table that does not fit gives way to one with fewer columns, said so in one line.
 */
export function renderSummary(
  report: OrchestrationReport,
  c: Colors,
  fit: { readonly width?: number | undefined; readonly wide?: boolean | undefined } = {},
): string {
  const unpriced = (s: WpSummary) => (s.unpricedInvocations > 0 ? "*" : "");
  const row = (s: WpSummary) => ({
    wp: { text: printable(s.wpId) },
    outcome: outcomeCell(s.outcome, c),
    attempts: String(s.attempts),
    duration: formatDuration(s.durationSeconds),
    input: count(s.inputTokens),
    cacheRead: count(s.cacheReadTokens),
    cacheWrite: count(s.cacheWriteTokens),
    allInput: count(s.inputTokens + s.cacheReadTokens + s.cacheWriteTokens),
    output: count(s.outputTokens),
    cost: `${formatUsd(s.cost, 4)}${unpriced(s)}`,
  });
  const total = (pick: (s: WpSummary) => number) => report.rows.reduce((t, s) => t + pick(s), 0);
  const footer: ReturnType<typeof row> = {
    wp: { text: "total" },
    outcome: "",
    attempts: String(total((s) => s.attempts)),
    duration: formatDuration(total((s) => s.durationSeconds)),
    input: count(total((s) => s.inputTokens)),
    cacheRead: count(total((s) => s.cacheReadTokens)),
    cacheWrite: count(total((s) => s.cacheWriteTokens)),
    allInput: count(total((s) => s.inputTokens + s.cacheReadTokens + s.cacheWriteTokens)),
    output: count(total((s) => s.outputTokens)),
    cost: `${formatUsd(totalCost(report.rows), 4)}${report.rows.some((s) => s.unpricedInvocations > 0) ? "*" : ""}`,
  };
  type Key = keyof typeof footer;
  const HEADS: Record<Key, [string, "left" | "right"]> = {
    wp: ["WP", "left"],
    outcome: ["Outcome", "left"],
    attempts: ["Attempts", "right"],
    duration: ["Duration", "right"],
    input: ["Input", "right"],
    cacheRead: ["Cache read", "right"],
    cacheWrite: ["Cache write", "right"],
    allInput: ["In", "right"],
    output: ["Output", "right"],
    cost: ["Cost ($)", "right"],
  };
  const rows = report.rows.map(row);
  const layout = (keys: readonly Key[], note?: string): SummaryLayout => ({
    spec: {
      head: keys.map((k) => HEADS[k][0]),
      align: keys.map((k) => HEADS[k][1]),
      rows: rows.map((r) => keys.map((k) => r[k])),
      footer: keys.map((k) => footer[k]),
      minWidths: keys.map((k) => (k === "wp" ? 5 : undefined)),
    },
    ...(note === undefined ? {} : { note }),
  });
  const layouts: [SummaryLayout, ...SummaryLayout[]] = [
    layout([
      "wp",
      "outcome",
      "attempts",
      "duration",
      "input",
      "cacheRead",
      "cacheWrite",
      "output",
      "cost",
    ]),
    layout(
      ["wp", "outcome", "attempts", "duration", "allInput", "output", "cost"],
      "Compact: In = input + cache read + cache write;",
    ),
    layout(["wp", "outcome", "duration", "cost"], "Narrow: no attempts, tokens;"),
  ];
  const width = fit.wide ? undefined : fit.width;
  const { layout: chosen, text: table, shortened } = renderFitting(layouts, width);
  const wrap = (n: string) => (width === undefined ? [n] : wrapText(n, width));
  const layoutLines =
    chosen.note === undefined ? [] : wrap(layoutNote(chosen.note, shortened)).map(c.dim);
  const notes = [
    ...(report.rows.some((s) => s.unpricedInvocations > 0)
      ? [
          `* some invocations have neither a reported cost nor a priced model: counted as $0 (see \`spec-kitty agent telemetry cost --feature ${report.feature} --group-by wp\`).`,
        ]
      : []),
    ...(report.unrecorded > 0
      ? [`${report.unrecorded} invocation(s) could not be recorded in the event log.`]
      : []),
  ];
  const lines = [...layoutLines, ...notes.flatMap(wrap)];
  return `${table}${lines.map((n) => `${n}\n`).join("")}`;
}

function totalCost(rows: readonly WpSummary[]): PicoUsd {
  const sum = new PicoSum();
  for (const row of rows) sum.add(row.cost);
  return sum.total;
}

function outcomeCell(outcome: WpSummary["outcome"], c: Colors): string {
  switch (outcome) {
    case "approved":
    case "skipped":
      return c.green(outcome);
    case "rejected":
    case "blocked":
    case "interrupted":
      return c.yellow(outcome);
    case "failed":
      return c.red(outcome);
    default:
      return outcome satisfies never;
  }
}

/** A shell-like rendering of one argument: quoted when it has anything but safe characters. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./<>-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The dry run: per work package, the exact command lines it would run. */
export function renderDryRun(
  feature: string,
  plans: readonly { wp: WorkPackage; cwd: string; commands: readonly PlannedCommand[] }[],
): string {
  const lines = [`Dry run of ${feature}: nothing is started.`];
  for (const { wp, cwd, commands } of plans) {
    const deps = wp.dependencies.length > 0 ? ` (after ${wp.dependencies.join(", ")})` : "";
    lines.push("", `${wp.id} ${wp.title}${deps}`, `  cwd: ${cwd}`);
    for (const cmd of commands) {
      const words = [cmd.command, ...cmd.args].map(shellWord).join(" ");
      const stdin = cmd.prompt.via === "stdin" ? " < <prompt>" : "";
      lines.push(
        `  ${`${cmd.role}:`.padEnd(13)}${words}${stdin}   # prompt: ${count(cmd.prompt.length)} chars ${cmd.prompt.via === "stdin" ? "on stdin" : "as an argument"}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
