// Valid JSON in layouts other than the one spec-kitty writes, for the tests that prove the
// report's fast path never counts such a line differently from the full parse.

/** A small deterministic generator, so that a failure can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

const SPACES = ["", " ", "  ", "\t", " \t "];

/**
 * The same JSON value written in another valid layout: keys in a shuffled order, spaces and
 * tabs between tokens, characters of strings as \u escapes (at `escapeRate`), numbers in
 * exponent form.
 */
export function relayout(value: unknown, random: () => number, escapeRate = 0.1): string {
  const space = () => SPACES[Math.floor(random() * SPACES.length)] as string;
  const text = (s: string) =>
    `"${[...s]
      .map((c) =>
        random() < escapeRate
          ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
          : JSON.stringify(c).slice(1, -1),
      )
      .join("")}"`;
  const write = (v: unknown): string => {
    if (typeof v === "string") return text(v);
    if (typeof v === "number") return random() < 0.2 ? v.toExponential() : JSON.stringify(v);
    if (Array.isArray(v))
      return `[${space()}${v.map(write).join(`${space()},${space()}`)}${space()}]`;
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort(() => random() - 0.5);
      const members = keys.map(
        (k) => `${text(k)}${space()}:${space()}${write((v as Record<string, unknown>)[k])}`,
      );
      return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
    }
    return JSON.stringify(v);
  };
  return `${space()}${write(value)}${space()}`;
}
