import Table from "cli-table3";

export type Align = "left" | "right" | "center";

/** A cell whose text may be shortened to fit, coloured only after that (escapes are not cut). */
export interface PaintedCell {
  readonly text: string;
  readonly paint?: (text: string) => string;
}
export type CellValue = string | PaintedCell;

export interface TableSpec {
  readonly head: readonly string[];
  readonly align: readonly Align[];
  readonly rows: readonly (readonly CellValue[])[];
  readonly footer?: readonly CellValue[];
  /**
   * Per column, the least width it may be shortened to (with a trailing …) when the table must
   * fit; undefined: never shortened. Only PaintedCells and plain text without escapes are cut.
   */
  readonly minWidths?: readonly (number | undefined)[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape is the point.
const SGR = /\u001b\[[0-9;]*m/g;

/** Whether a code point takes two columns (East Asian wide and fullwidth forms, emoji). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Columns a code point takes: combining marks none, wide characters two. */
function cpWidth(cp: number): number {
  if (cp >= 0x300 && cp <= 0x36f) return 0;
  return isWide(cp) ? 2 : 1;
}

/** The columns `text` takes on a terminal (colour escapes take none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(SGR, "")) width += cpWidth(ch.codePointAt(0) ?? 0);
  return width;
}

/** `text` cut to at most `width` columns, ending in … when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = cpWidth(ch.codePointAt(0) ?? 0);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** Plain text wrapped at spaces to lines of at most `width` columns (a longer word is cut). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (let word of text.split(" ")) {
    while (displayWidth(word) > width) {
      if (line !== "") lines.push(line);
      line = "";
      const head = [...word].slice(0, width).join("");
      lines.push(head);
      word = word.slice(head.length);
    }
    const next = line === "" ? word : `${line} ${word}`;
    if (displayWidth(next) <= width) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

const cellText = (cell: CellValue) => (typeof cell === "string" ? cell : cell.text);

/** Each column's natural width: its widest cell, header included. */
function naturalWidths(spec: TableSpec): number[] {
  const all = [spec.head, ...spec.rows, ...(spec.footer ? [spec.footer] : [])];
  return spec.head.map((_, i) =>
    Math.max(...all.map((row) => displayWidth(cellText(row[i] ?? "")))),
  );
}

/** Width of a boxed table whose columns hold `widths`: one space of padding each side, borders. */
const boxWidth = (widths: readonly number[]) => widths.reduce((n, w) => n + w + 3, 1);

/** The least width `spec` can be drawn at, every shortenable column at its minimum. */
export function minimumWidth(spec: TableSpec): number {
  const natural = naturalWidths(spec);
  return boxWidth(natural.map((w, i) => Math.min(w, spec.minWidths?.[i] ?? w)));
}

/**
 * A boxed table; numeric columns right-aligned; an optional footer row set off by a rule. With
 * `maxWidth`, shortenable columns are cut (widest first, down to their minimum) until it fits;
 * `shortened` tells whether any cell was. Cells are never wrapped onto a second line.
 */
export function drawTable(
  spec: TableSpec,
  maxWidth?: number,
): { readonly text: string; readonly shortened: boolean } {
  const widths = naturalWidths(spec);
  if (maxWidth !== undefined) {
    let excess = boxWidth(widths) - maxWidth;
    while (excess > 0) {
      let widest = -1;
      widths.forEach((w, i) => {
        const min = spec.minWidths?.[i];
        if (min !== undefined && w > min && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
      });
      if (widest < 0) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
      excess--;
    }
  }
  let shortened = false;
  const draw = (cell: CellValue, i: number): string => {
    const text = cellText(cell);
    const fitted = spec.minWidths?.[i] === undefined ? text : truncate(text, widths[i] ?? 0);
    if (fitted !== text) shortened = true;
    return typeof cell === "string" ? fitted : (cell.paint ?? String)(fitted);
  };
  // cli-table3's own colours are off: colour, when wanted, is applied to cells by the caller.
  const table = new Table({
    head: spec.head.map((h, i) => draw(h, i)),
    colAligns: [...spec.align],
    style: { head: [], border: [], compact: true },
  });
  for (const row of spec.rows) table.push(row.map(draw));
  if (spec.footer) table.push(spec.footer.map(draw));
  const lines = table.toString().split("\n");
  if (spec.footer) {
    // The rule under the header, repeated above the footer (cli-table3 has no sections).
    const rule = lines[2];
    if (rule !== undefined) lines.splice(lines.length - 2, 0, rule);
  }
  return { text: `${lines.join("\n")}\n`, shortened };
}

/** A boxed table at its natural width. */
export function renderTable(spec: TableSpec): string {
  return drawTable(spec).text;
}

/**
 * Of `layouts` (fullest first), the first that fits `maxWidth` with its shortenable columns at
 * their minimum, drawn to fit; the last one when none does; the first when there is no limit.
 */
export function renderFitting<L extends { readonly spec: TableSpec }>(
  layouts: readonly [L, ...L[]],
  maxWidth: number | undefined,
): { readonly layout: L; readonly text: string; readonly shortened: boolean } {
  const layout =
    maxWidth === undefined
      ? layouts[0]
      : (layouts.find((l) => minimumWidth(l.spec) <= maxWidth) ?? layouts[layouts.length - 1]);
  const chosen = layout ?? layouts[0];
  return { layout: chosen, ...drawTable(chosen.spec, maxWidth) };
}

/** The one line under a table drawn with fewer columns: what it left out, how to see it all. */
export function layoutNote(what: string, shortened: boolean): string {
  return `${what} ${shortened ? "… = cut; " : ""}--wide for all.`;
}
