import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DASHBOARD_SCRIPT } from "./dashboard-client.js";
import type { PrettyValue } from "./output.js";

/**
 * Chart.js's self-contained build (UMD, minified, ~210 KB), read from node_modules when the
 * dashboard is written so that the page works offline. The package exports only its modules:
 * the build is found beside the CommonJS entry.
 */
export async function chartLibrary(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  return readFile(join(dirname(entry), "chart.umd.min.js"), "utf8");
}

/** Script text safe inside a <script> element: no `</script` can end it early. */
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1");
}

/**
 * `prettyJson` made compact and safe inside a <script> element: its line breaks and
 * indentation dropped (keys still followed by `: `), every `<` (only ever in strings) as
 * `\u003c`. Written compact, not pretty first (the page's data is ~0.5 MB).
 */
function jsonText(value: PrettyValue): string {
  return compactJson(value).replace(/</g, "\\u003c");
}

function compactJson(v: PrettyValue): string {
  if (typeof v === "bigint") return v.toString();
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[${v.map(compactJson).join(",")}]`;
  const items: string[] = [];
  for (const [key, item] of Object.entries(v)) {
    if (item !== undefined) items.push(`${JSON.stringify(key)}: ${compactJson(item)}`);
  }
  return items.length === 0 ? "{}" : `{${items.join(",")}}`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 16px 20px 4px; }
h1 { margin: 0; font-size: 20px; }
#subtitle { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
main { padding: 8px 20px 24px; display: grid; gap: 16px; max-width: 1280px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; }
.card, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .detail { color: var(--muted); font-size: 12px; }
h2 { margin: 0 0 8px; font-size: 15px; }
.note { margin: 0 0 8px; color: var(--muted); font-size: 12px; }
.chart { position: relative; width: 100%; margin-bottom: 8px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
`;

/** The dashboard: one HTML file holding its data, Chart.js and its own script; nothing is fetched. */
export function renderDashboard(data: PrettyValue, chartJs: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>spec-kitty telemetry dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Agent spend</h1><p id="subtitle"></p></header>
<main id="main"></main>
<script type="application/json" id="dashboard-data">${jsonText(data)}</script>
<script>${scriptText(chartJs)}</script>
<script>${scriptText(DASHBOARD_SCRIPT)}</script>
</body>
</html>
`;
}
