/**
 * The glob subset `--feature` takes: `*` (any run of characters), `?` (one character),
 * `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` (one character of a class); anything else stands for
 * itself. Matching takes at most O(pattern x name) steps whatever the pattern: the usual regex
 * translation backtracks exponentially on `*a*a*a*a*ab`, which held a report for a minute and
 * deferred SIGTERM. As with shell globs, a name starting with `.` needs a literal `.`.
 */

/** The longest pattern accepted (a folder name is at most 255 bytes). */
export const MAX_GLOB_LENGTH = 255;

type Token =
  | { readonly kind: "star" }
  | { readonly kind: "one" }
  | { readonly kind: "literal"; readonly char: string }
  | { readonly kind: "class"; readonly negated: boolean; readonly ranges: readonly string[] };

function tokenize(pattern: string): Token[] {
  const chars = [...pattern];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "*") {
      // Consecutive stars are one star: fewer restart points, same language.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") {
      tokens.push({ kind: "one" });
    } else if (c === "[") {
      const parsed = parseClass(chars, i + 1);
      if (parsed === null) tokens.push({ kind: "literal", char: c });
      else {
        tokens.push(parsed.token);
        i = parsed.end;
      }
    } else {
      tokens.push({ kind: "literal", char: c });
    }
  }
  return tokens;
}

/** A class starting after `[` at `from`; null when it has no closing `]` (then `[` is literal). */
function parseClass(chars: readonly string[], from: number): { token: Token; end: number } | null {
  let i = from;
  const negated = chars[i] === "!" || chars[i] === "^";
  if (negated) i++;
  const ranges: string[] = [];
  // A `]` first in the class is a member, as in the shell.
  for (let first = true; i < chars.length; first = false) {
    const c = chars[i] as string;
    if (c === "]" && !first) return { token: { kind: "class", negated, ranges }, end: i };
    const to = chars[i + 2];
    if (chars[i + 1] === "-" && to !== undefined && to !== "]") {
      ranges.push(c + to);
      i += 3;
    } else {
      ranges.push(c + c);
      i++;
    }
  }
  return null;
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.kind) {
    case "one":
      return true;
    case "literal":
      return token.char === char;
    case "class": {
      const inClass = token.ranges.some((r) => char >= (r[0] as string) && char <= r.slice(1));
      return inClass !== token.negated;
    }
    case "star":
      return false;
    default:
      return token satisfies never;
  }
}

/** A matcher for `pattern`, over whole names. */
export function compileGlob(pattern: string): (name: string) => boolean {
  const tokens = tokenize(pattern);
  const first = tokens[0];
  const dotIsLiteral = first?.kind === "literal" && first.char === ".";
  return (name) => {
    const chars = [...name];
    if (chars[0] === "." && !dotIsLiteral) return false;
    // Greedy with one restart point, the last star: when a later match fails, that star takes
    // one more character. Earlier stars never need to take more, so no deeper backtracking.
    let t = 0;
    let c = 0;
    let starAt = -1;
    let starFrom = 0;
    while (c < chars.length) {
      const token = tokens[t];
      if (token?.kind === "star") {
        starAt = t++;
        starFrom = c;
      } else if (token !== undefined && matchesOne(token, chars[c] as string)) {
        t++;
        c++;
      } else if (starAt !== -1) {
        t = starAt + 1;
        c = ++starFrom;
      } else {
        return false;
      }
    }
    while (tokens[t]?.kind === "star") t++;
    return t === tokens.length;
  };
}
