import Table from "cli-table3";

/** A boxed table; numeric columns right-aligned; an optional footer row set off by a rule. */
export function renderTable(options: {
  readonly head: readonly string[];
  readonly align: readonly ("left" | "right" | "center")[];
  readonly rows: readonly (readonly string[])[];
  readonly footer?: readonly string[];
}): string {
  // cli-table3's own colours are off: colour, when wanted, is applied to cells by the caller.
  const table = new Table({
    head: [...options.head],
    colAligns: [...options.align],
    style: { head: [], border: [], compact: true },
  });
  for (const row of options.rows) table.push([...row]);
  if (options.footer) table.push([...options.footer]);
  const lines = table.toString().split("\n");
  if (options.footer) {
    // The rule under the header, repeated above the footer (cli-table3 has no sections).
    const rule = lines[2];
    if (rule !== undefined) lines.splice(lines.length - 2, 0, rule);
  }
  return `${lines.join("\n")}\n`;
}
