import type { CostGroup, GroupByKey } from "../telemetry/cost.js";
import { formatUsd, type PicoUsd } from "../telemetry/money.js";
import { costTotals } from "./cost-totals.js";
import { formatCount } from "./output.js";
import { printable } from "./terminal-text.js";

/**
 * Text safe in a GitHub table cell: no line breaks, and markup characters taken literally
 * (`$` too: GitHub reads `$...$` as math).
 */
function cell(text: string): string {
  return printable(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]<>|~#$]/g, (c) => `\\${c}`);
}

const money = (cost: PicoUsd, estimated: PicoUsd) =>
  `${estimated > 0n ? "~" : ""}$${formatUsd(cost, 4)}`;
const plural = (n: number) => `${formatCount(n)} ${n === 1 ? "event" : "events"}`;
const title = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

/**
 * `cost --format md`: a GitHub-flavoured Markdown table for a pull-request comment, a bold total
 * row, and the same notes as the terminal table (estimated, unpriced, no usage).
 */
export function formatCostMarkdown(
  groupBy: readonly GroupByKey[],
  groups: readonly CostGroup[],
  pricingEffective: string | undefined,
): string {
  const t = costTotals(groups);
  const head = [
    ...groupBy.map((k) => (k === "wp" ? "WP" : title(k))),
    "Input",
    "Output",
    "Cache read",
    "Cache write",
    "Cost (USD)",
    "Events",
  ];
  const align = [...groupBy.map(() => ":--"), ...head.slice(groupBy.length).map(() => "--:")];
  const rows = groups.map((g) => [
    ...groupBy.map((_, i) => cell(g.groupValues[i] ?? "")),
    formatCount(g.inputTokens),
    formatCount(g.outputTokens),
    formatCount(g.cacheReadTokens),
    formatCount(g.cacheWriteTokens),
    cell(money(g.totalCost, g.estimatedCost)),
    formatCount(g.eventCount),
  ]);
  const bold = (s: string) => `**${s}**`;
  const total = [
    bold("Total"),
    ...groupBy.slice(1).map(() => ""),
    bold(formatCount(t.inputTokens)),
    bold(formatCount(t.outputTokens)),
    bold(formatCount(t.cacheReadTokens)),
    bold(formatCount(t.cacheWriteTokens)),
    bold(cell(money(t.totalCost, t.estimatedCost))),
    bold(formatCount(t.eventCount)),
  ];
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |\n`;
  const notes: string[] = [];
  if (t.estimatedCost > 0n) {
    const rates = pricingEffective ? ` (rates effective ${pricingEffective})` : "";
    notes.push(
      cell(`~ includes $${formatUsd(t.estimatedCost, 4)} estimated from token counts${rates}.`),
    );
  }
  if (t.unpricedModels.length > 0) {
    notes.push(
      cell(
        `Unpriced: ${plural(t.unpricedEventCount)} with no reported cost and no known rate, counted as $0: ${t.unpricedModels.join(", ")}.`,
      ),
    );
  }
  if (t.noUsageEventCount > 0) {
    notes.push(
      cell(
        `No usage: ${plural(t.noUsageEventCount)} recorded neither tokens nor a cost, counted as $0.`,
      ),
    );
  }
  return (
    `**Cost report** (grouped by ${groupBy.join(", ")})\n\n` +
    line(head) +
    line(align) +
    rows.map(line).join("") +
    line(total) +
    (notes.length > 0 ? `\n${notes.map((n) => `${n}\n`).join("\n")}` : "")
  );
}
