import { join } from "node:path";
import type { Budgets } from "./budgets-file.js";
import type { PicoUsd } from "./money.js";

export type { Budgets } from "./budgets-file.js";

import { readSmallFile } from "./project-paths.js";

/** Where a project keeps its budgets, relative to its root. */
export const BUDGETS_PATH = join(".kittify", "budgets.yaml");

/** The exit code of `cost --check-budget` when a budget is exceeded, and of `orchestrate` when one stopped it. */
export const BUDGET_EXIT_CODE = 3;

/** The project's budgets, or undefined when it has no budgets file; a bad file throws. */
export async function loadBudgets(repoRoot: string): Promise<Budgets | undefined> {
  const path = join(repoRoot, BUDGETS_PATH);
  const text = await readSmallFile(path, { root: repoRoot, maxBytes: 1 << 20 });
  // The YAML library is loaded only for a project that has budgets (most reports have none).
  return text === null ? undefined : (await import("./budgets-file.js")).parseBudgets(text, path);
}

/** One budget against what was spent under it. */
export interface BudgetStatus {
  readonly scope: "project" | "monthly" | "feature";
  /** `project`, the month (`2026-11`) or the feature slug. */
  readonly name: string;
  readonly budget: PicoUsd;
  readonly spent: PicoUsd;
  /** budget - spent; negative once exceeded. */
  readonly remaining: PicoUsd;
  /** Spent more than the budget. */
  readonly exceeded: boolean;
}

/** What was spent, as the cost report counts it: in all, this month, per feature. */
export interface Spending {
  readonly total: PicoUsd;
  readonly month: string;
  readonly thisMonth: PicoUsd;
  readonly byFeature: ReadonlyMap<string, PicoUsd>;
}

/** Each budget that applies, with its spend; features without events spent 0. */
export function budgetStatuses(budgets: Budgets, spending: Spending): BudgetStatus[] {
  const status = (
    scope: BudgetStatus["scope"],
    name: string,
    budget: PicoUsd,
    spent: PicoUsd,
  ): BudgetStatus => ({
    scope,
    name,
    budget,
    spent,
    remaining: (budget - spent) as PicoUsd,
    exceeded: spent > budget,
  });
  const zero = 0n as PicoUsd;
  return [
    ...(budgets.project === undefined
      ? []
      : [status("project", "project", budgets.project, spending.total)]),
    ...(budgets.monthly === undefined
      ? []
      : [status("monthly", spending.month, budgets.monthly, spending.thisMonth)]),
    ...[...budgets.features]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([slug, budget]) =>
        status("feature", slug, budget, spending.byFeature.get(slug) ?? zero),
      ),
  ];
}
