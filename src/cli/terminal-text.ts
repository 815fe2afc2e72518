/**
 * Text from outside (a log line, an agent's output, a file name) made safe for a terminal: C0
 * and C1 control characters (ESC starts every CSI and OSC sequence), DEL, line and paragraph
 * separators, bidirectional overrides and invisible format characters are shown as `\xNN` or
 * `\uNNNN` instead of acting on the terminal. Every renderer passes outside strings through it
 * before colouring them; JSON output is left exact.
 */

// Inclusive code unit ranges that must not reach a terminal as they are.
const UNSAFE_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x1f], // C0, ESC included
  [0x7f, 0x9f], // DEL and C1 (0x9b is a one-byte CSI)
  [0x061c, 0x061c], // Arabic letter mark
  [0x200b, 0x200f], // zero-width characters, LRM, RLM
  [0x2028, 0x202e], // line/paragraph separators, bidi embeddings and overrides
  [0x2060, 0x206f], // word joiner, bidi isolates, invisible operators
  [0xfeff, 0xfeff], // zero-width no-break space
  [0xfff9, 0xfffb], // interlinear annotations
];

function isUnsafe(code: number): boolean {
  return UNSAFE_RANGES.some(([from, to]) => code >= from && code <= to);
}

/** `text` with every character that could act on a terminal written as a visible escape. */
export function printable(text: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Fast path: printable ASCII is never unsafe.
    if ((code >= 0x20 && code < 0x7f) || !isUnsafe(code)) continue;
    out += text.slice(start, i);
    out +=
      code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}
