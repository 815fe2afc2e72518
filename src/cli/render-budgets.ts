import type { BudgetStatus } from "../telemetry/budgets.js";
import { formatUsd, type PicoUsd } from "../telemetry/money.js";
import type { Colors } from "./output.js";
import { printable } from "./terminal-text.js";

const money = (pico: PicoUsd) =>
  `${pico < 0n ? "-" : ""}$${formatUsd((pico < 0n ? -pico : pico) as PicoUsd, 4)}`;

/** What a budget is over, in words: `project`, `month 2026-11`, `feature 043-x`. */
export function budgetLabel(s: BudgetStatus): string {
  return s.scope === "project"
    ? "project"
    : `${s.scope === "monthly" ? "month" : "feature"} ${printable(s.name)}`;
}

/** The lines under the cost table: each budget's spent / budget / remaining. */
export function renderBudgets(statuses: readonly BudgetStatus[], colors: Colors): string {
  if (statuses.length === 0) return "";
  const labels = statuses.map(budgetLabel);
  const width = Math.max(...labels.map((l) => l.length));
  const lines = statuses.map((s, i) => {
    const text = `  ${(labels[i] ?? "").padEnd(width)}  ${money(s.spent)} of ${money(s.budget)}, ${
      s.exceeded ? `${money(-s.remaining as PicoUsd)} over` : `${money(s.remaining)} left`
    }`;
    return s.exceeded ? colors.red(text) : text;
  });
  return `\nBudgets (spent of budget, all events):\n${lines.join("\n")}\n`;
}

/** The one-line messages for exceeded budgets. */
export function exceededBudgets(statuses: readonly BudgetStatus[]): string[] {
  return statuses
    .filter((s) => s.exceeded)
    .map(
      (s) =>
        `budget exceeded: ${budgetLabel(s)} spent ${money(s.spent)} of ${money(s.budget)} (${money(-s.remaining as PicoUsd)} over)`,
    );
}
