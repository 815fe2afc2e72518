import type { CostGroup } from "../telemetry/cost.js";
import { formatUsd, type PicoUsd } from "../telemetry/money.js";
import { costTotals } from "./cost-totals.js";
import type { Colors } from "./output.js";
import { formatCount } from "./output.js";
import { layoutNote, renderFitting, type TableSpec, wrapText } from "./table.js";
import { printable } from "./terminal-text.js";

const money = (pico: PicoUsd) => `$${formatUsd(pico, 4)}`;
const events = (n: number) => `${formatCount(n)} ${n === 1 ? "event" : "events"}`;

/** One way to draw the cost table, and the line saying what it leaves out (none when full). */
interface CostLayout {
  readonly spec: TableSpec;
  readonly note?: string;
}

/** The full table, then a compact and a narrow one for terminals it does not fit. */
function costLayouts(groups: readonly CostGroup[], colors: Colors): [CostLayout, ...CostLayout[]] {
  const bold = (s: string) => colors.bold(s);
  const group = (g: CostGroup) => ({ text: printable(g.groupKey), paint: colors.cyan });
  const cache = (g: CostGroup) => g.cacheReadTokens + g.cacheWriteTokens;
  const tokens = (g: CostGroup) => g.inputTokens + g.outputTokens + cache(g);
  // Marked in the cost cell itself when the Estimated column is dropped.
  const markedMoney = (cost: PicoUsd, estimated: PicoUsd) =>
    `${estimated > 0n ? "~" : ""}${money(cost)}`;
  const t = costTotals(groups);
  const total = {
    input: t.inputTokens,
    output: t.outputTokens,
    cacheRead: t.cacheReadTokens,
    cacheWrite: t.cacheWriteTokens,
    cost: t.totalCost,
    estimated: t.estimatedCost,
    events: t.eventCount,
  };
  const totalLabel = { text: "TOTAL", paint: bold };
  const full: CostLayout = {
    spec: {
      head: [
        "Group",
        "Input Tokens",
        "Output Tokens",
        "Cache Read",
        "Cache Write",
        "Cost (USD)",
        "Events",
        "Estimated",
      ],
      align: ["left", "right", "right", "right", "right", "right", "right", "center"],
      rows: groups.map((g) => [
        group(g),
        formatCount(g.inputTokens),
        formatCount(g.outputTokens),
        formatCount(g.cacheReadTokens),
        formatCount(g.cacheWriteTokens),
        money(g.totalCost),
        formatCount(g.eventCount),
        g.estimatedCost > 0n ? "~" : "",
      ]),
      footer: [
        totalLabel,
        bold(formatCount(total.input)),
        bold(formatCount(total.output)),
        bold(formatCount(total.cacheRead)),
        bold(formatCount(total.cacheWrite)),
        bold(money(total.cost)),
        bold(formatCount(total.events)),
        total.estimated > 0n ? "~" : "",
      ],
    },
  };
  const compact: CostLayout = {
    spec: {
      head: ["Group", "Input", "Output", "Cache", "Cost (USD)", "Events"],
      align: ["left", "right", "right", "right", "right", "right"],
      rows: groups.map((g) => [
        group(g),
        formatCount(g.inputTokens),
        formatCount(g.outputTokens),
        formatCount(cache(g)),
        markedMoney(g.totalCost, g.estimatedCost),
        formatCount(g.eventCount),
      ]),
      footer: [
        totalLabel,
        bold(formatCount(total.input)),
        bold(formatCount(total.output)),
        bold(formatCount(total.cacheRead + total.cacheWrite)),
        bold(markedMoney(total.cost, total.estimated)),
        bold(formatCount(total.events)),
      ],
      minWidths: [16],
    },
    note: "Compact: Cache = read + write;",
  };
  const narrow: CostLayout = {
    spec: {
      head: ["Group", "Tokens", "Cost (USD)", "Events"],
      align: ["left", "right", "right", "right"],
      rows: groups.map((g) => [
        group(g),
        formatCount(tokens(g)),
        markedMoney(g.totalCost, g.estimatedCost),
        formatCount(g.eventCount),
      ]),
      footer: [
        totalLabel,
        bold(formatCount(total.input + total.output + total.cacheRead + total.cacheWrite)),
        bold(markedMoney(total.cost, total.estimated)),
        bold(formatCount(total.events)),
      ],
      minWidths: [12],
    },
    note: "Narrow: Tokens = in + out + cache;",
  };
  return [full, compact, narrow];
}

/**
 * The cost table for people: one row per group, a TOTAL row, and notes on what is estimated or
 * unpriced. Given a `width` (and not `wide`), a table that does not fit gives way to a compact
 * or narrow one, said so in one line, and notes wrap to it.
 */
export function renderCostTable(
  groups: readonly CostGroup[],
  colors: Colors,
  pricingEffective: string | undefined,
  fit: { readonly width?: number | undefined; readonly wide?: boolean | undefined } = {},
): string {
  const sum = (pick: (g: CostGroup) => number) => groups.reduce((n, g) => n + pick(g), 0);
  const width = fit.wide ? undefined : fit.width;
  const { layout, text: table, shortened } = renderFitting(costLayouts(groups, colors), width);
  const totalEstimated = groups.reduce((n, g) => n + g.estimatedCost, 0n) as PicoUsd;
  const title = `Cost Report (grouped by ${groups[0]?.groupBy ?? "agent"})\n`;
  const notes: [string, (s: string) => string][] = [];
  if (layout.note !== undefined) {
    notes.push([layoutNote(layout.note, shortened), colors.dim]);
  }
  if (totalEstimated > 0n) {
    const rates = pricingEffective ? ` (rates effective ${pricingEffective})` : "";
    notes.push([
      `~ includes ${money(totalEstimated)} estimated from token counts${rates}.`,
      colors.dim,
    ]);
  }
  const unpriced = unpricedSummary(groups);
  if (unpriced.length > 0) {
    const count = sum((g) => g.unpricedEventCount);
    notes.push([
      `Unpriced: ${events(count)} with no reported cost and no known rate, counted as $0: ${printable(unpriced.join(", "))}`,
      colors.yellow,
    ]);
  }
  const merged = mergedModels(groups);
  if (merged.length > 0)
    notes.push([printable(`Model ids merged: ${merged.join("; ")}.`), colors.dim]);
  const noUsage = sum((g) => g.noUsageEventCount);
  if (noUsage > 0) {
    notes.push([
      `No usage: ${events(noUsage)} recorded neither tokens nor a cost, counted as $0.`,
      colors.yellow,
    ]);
  }
  const lines = notes.flatMap(([note, paint]) =>
    (width === undefined ? [note] : wrapText(note, width)).map((line) => `${paint(line)}\n`),
  );
  return title + table + lines.join("");
}

/** Every unpriced model id across the groups, sorted. */
function unpricedSummary(groups: readonly CostGroup[]): string[] {
  return [...new Set(groups.flatMap((g) => g.unpricedModels))].sort();
}

/** Each model group that merged other spellings than its id: `id (as a, b)`, sorted. */
function mergedModels(groups: readonly CostGroup[]): string[] {
  const spellings = new Map<string, Set<string>>();
  for (const g of groups) {
    if (g.model === undefined) continue;
    const set = spellings.get(g.model) ?? new Set();
    for (const id of g.modelIds) if (id !== g.model) set.add(id);
    spellings.set(g.model, set);
  }
  return [...spellings]
    .filter(([, ids]) => ids.size > 0)
    .map(([model, ids]) => `${model} (as ${[...ids].sort().join(", ")})`)
    .sort();
}
