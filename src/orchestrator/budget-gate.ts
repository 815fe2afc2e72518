import type { Event } from "../events/event.js";
import { eventCost, type RateResolver } from "../telemetry/cost.js";
import { formatUsd, type PicoUsd } from "../telemetry/money.js";

const money = (pico: PicoUsd) => `$${formatUsd(pico, 4)}`;

/**
 * Decides, before each invocation, whether a run may start another: not once the feature's
 * recorded spend has reached its budget, nor this run's spend its `--budget-usd`. Each recorded
 * event is costed as the cost report costs it; the spend before the run is read once.
 */
export class BudgetGate {
  readonly #pricing: RateResolver;
  readonly #feature: string;
  readonly #featureBudget: PicoUsd | undefined;
  readonly #runBudget: PicoUsd | undefined;
  #featureSpent: PicoUsd;
  #runSpent = 0n as PicoUsd;
  #stopped: string | null = null;

  constructor(options: {
    readonly pricing: RateResolver;
    readonly feature: string;
    /** The feature's budget (`.kittify/budgets.yaml`), and what its events cost before the run. */
    readonly featureBudget: PicoUsd | undefined;
    readonly featureSpent: PicoUsd;
    /** What this run may spend (`--budget-usd`). */
    readonly runBudget: PicoUsd | undefined;
  }) {
    this.#pricing = options.pricing;
    this.#feature = options.feature;
    this.#featureBudget = options.featureBudget;
    this.#runBudget = options.runBudget;
    this.#featureSpent = options.featureSpent;
  }

  /** Adds a recorded invocation's cost. */
  record(event: Event): void {
    const { cost } = eventCost(event, this.#pricing);
    this.#featureSpent = (this.#featureSpent + cost) as PicoUsd;
    this.#runSpent = (this.#runSpent + cost) as PicoUsd;
  }

  /** Why no invocation may start now (the first reason found sticks), or null. */
  exhausted(): string | null {
    if (this.#stopped !== null) return this.#stopped;
    const feature = this.#featureBudget;
    if (feature !== undefined && this.#featureSpent >= feature) {
      this.#stopped = `the budget of ${this.#feature} is reached: ${money(this.#featureSpent)} spent of ${money(feature)}`;
    } else if (this.#runBudget !== undefined && this.#runSpent >= this.#runBudget) {
      this.#stopped = `this run's budget is reached: ${money(this.#runSpent)} spent of ${money(this.#runBudget)} (--budget-usd)`;
    }
    return this.#stopped;
  }
}
