/** A decimal number as digits times a power of ten: exact, unlike a double's arithmetic. */
export interface Decimal {
  readonly digits: bigint;
  readonly exponent: number;
}

const NUMBER_TEXT = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * The decimal a non-negative finite double was written as (its shortest round-trip text:
 * `3e-7`, `0.000125`), so that scaling it moves the point instead of multiplying floats.
 */
export function decimalOf(value: number): Decimal {
  const match = NUMBER_TEXT.exec(String(value));
  if (!match) throw new RangeError(`not a non-negative finite number: ${value}`);
  const [, whole = "", fraction = "", exp = "0"] = match;
  return { digits: BigInt(whole + fraction), exponent: Number(exp) - fraction.length };
}

/** `d` times 10^`shift`. */
export function scaled(d: Decimal, shift: number): Decimal {
  return { digits: d.digits, exponent: d.exponent + shift };
}

/** The whole number `d` is, or undefined when it has a fractional part. */
export function wholeOf(d: Decimal): bigint | undefined {
  if (d.exponent >= 0) return d.digits * 10n ** BigInt(d.exponent);
  const unit = 10n ** BigInt(-d.exponent);
  return d.digits % unit === 0n ? d.digits / unit : undefined;
}

/** `d` as plain decimal text, no exponent, no trailing zeros, at least `minDecimals` places. */
export function plainText(d: Decimal, minDecimals = 0): string {
  const places = Math.max(0, -d.exponent);
  const digits = (d.exponent > 0 ? d.digits * 10n ** BigInt(d.exponent) : d.digits)
    .toString()
    .padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, "");
  const shown = fraction.padEnd(minDecimals, "0");
  return shown === "" ? whole : `${whole}.${shown}`;
}
