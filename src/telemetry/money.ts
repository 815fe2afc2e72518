/** An exact amount of money in pico-dollars (1e-12 USD). Never a token count. */
export type PicoUsd = bigint & { readonly __brand: "PicoUsd" };

const PICO_PER_USD = 1_000_000_000_000;
const PICO_PER_MICRO = 1_000_000n;
// Below this, a sum of two safe integers is still exact in a double.
const FLUSH_AT = 2 ** 52;
/** Where a running sum of pico-dollars in a double stops (PicoSum spills into a bigint there). */
export const PICO_SUM_EXACT_BELOW = FLUSH_AT;

/** Pico-dollars of a reported USD figure, rounded to the nearest pico-dollar. */
export function picoFromUsd(usd: number): PicoUsd {
  const pico = usd * PICO_PER_USD;
  if (Number.isSafeInteger(Math.round(pico))) return BigInt(Math.round(pico)) as PicoUsd;
  // Past 9,007 USD a double cannot hold every pico-dollar: keep micro-dollar precision instead.
  return (BigInt(Math.round(usd * 1_000_000)) * PICO_PER_MICRO) as PicoUsd;
}

/**
 * An exact running sum of pico-dollars. Adds stay in a double while the sum is exactly
 * representable (the hot path) and spill into a bigint before it would not be.
 */
export class PicoSum {
  #small = 0;
  #big = 0n;

  /** Adds a whole number of pico-dollars given as a safe integer. */
  addSafe(pico: number): void {
    // Checked before it is kept: a double sum of two safe integers can round past 2^53.
    const next = this.#small + pico;
    if (next < FLUSH_AT) this.#small = next;
    else {
      this.#big += BigInt(this.#small) + BigInt(pico);
      this.#small = 0;
    }
  }

  add(pico: PicoUsd): void {
    this.#big += pico;
  }

  /** Adds a reported USD figure exactly as `add(picoFromUsd(usd))`, without a bigint per call. */
  addUsd(usd: number): void {
    const pico = Math.round(usd * PICO_PER_USD);
    if (Number.isSafeInteger(pico)) this.addSafe(pico);
    else this.add(picoFromUsd(usd));
  }

  /** Adds another running sum (no bigint arithmetic unless either sum has spilled). */
  addSum(other: PicoSum): void {
    if (other.#big !== 0n) this.#big += other.#big;
    this.addSafe(other.#small);
  }

  /** The sum as a number when it has not spilled into the bigint (exact then), else null. */
  exactNumber(): number | null {
    return this.#big === 0n ? this.#small : null;
  }

  get total(): PicoUsd {
    return (this.#big + BigInt(this.#small)) as PicoUsd;
  }
}

function roundDiv(value: bigint, divisor: bigint): bigint {
  const half = divisor / 2n;
  return value >= 0n ? (value + half) / divisor : -((-value + half) / divisor);
}

/** Dollars rounded to 6 decimals as a number, for JSON (`15.6`, `0.000123`). */
export function usdForJson(pico: PicoUsd): number {
  return Number(roundDiv(pico, PICO_PER_MICRO)) / 1_000_000;
}

/** Dollars rounded to `decimals` places as text with thousands separators: `1,234.5678`. */
export function formatUsd(pico: PicoUsd, decimals: number): string {
  const unit = 10n ** BigInt(12 - decimals);
  const scaled = roundDiv(pico, unit);
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = digits.slice(digits.length - decimals);
  return `${negative ? "-" : ""}${whole}${decimals > 0 ? `.${fraction}` : ""}`;
}
