import type { AgentImportSummary, ImportSummary } from "../import/import-summary.js";
import { formatCount } from "./output.js";
import { renderTable } from "./table.js";
import { printable } from "./terminal-text.js";

const count = (n: number) => formatCount(n);
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

function skipped(a: AgentImportSummary): number {
  const t = a.turns;
  return t.beforeSince + t.orchestrated + t.empty + t.outside;
}

/** The import's summary for people: a line, a row per agent, the new events per feature. */
export function renderImportSummary(summary: ImportSummary): string {
  const events = summary.agents.reduce((n, a) => n + a.events, 0);
  const turns = summary.agents.reduce((n, a) => n + a.turns.imported, 0);
  const head =
    events === 0
      ? summary.dryRun
        ? "Dry run: nothing new to import.\n"
        : "Nothing new to import.\n"
      : summary.dryRun
        ? `Dry run: would import ${plural(events, "event")} from ${plural(turns, "turn")}; nothing written.\n`
        : `Imported ${plural(events, "event")} from ${plural(turns, "turn")}.\n`;
  const agents = renderTable({
    head: [
      "Agent",
      "Units read",
      "Unchanged",
      "Turns new",
      "Present",
      "Open",
      "Skipped",
      "Events",
      "Unattributed",
    ],
    align: ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
    rows: summary.agents.map((a) => [
      a.agent,
      count(a.units.read),
      count(a.units.skipped),
      count(a.turns.imported),
      count(a.turns.present),
      count(a.turns.open),
      count(skipped(a)),
      count(a.events),
      count(a.unattributed),
    ]),
  });
  const byFeature = summary.agents.flatMap((a) =>
    Object.entries(a.eventsByFeature)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([feature, n]) => [printable(feature), a.agent, count(n)]),
  );
  const features =
    byFeature.length === 0
      ? ""
      : `\n${renderTable({ head: ["Feature", "Agent", "Events"], align: ["left", "left", "right"], rows: byFeature })}`;
  return `${head}\n${agents}${notes(summary)
    .map((n) => `${n}\n`)
    .join("")}${features}`;
}

/** Lines under the agents' table: why turns were skipped, and history the agents will delete. */
function notes(summary: ImportSummary): string[] {
  const lines: string[] = [];
  for (const a of summary.agents) {
    const t = a.turns;
    const why = [
      [t.beforeSince, "before --since"],
      [t.orchestrated, "recorded by orchestrate or emit"],
      [t.empty, "with no call of their own"],
      [t.outside, "made in another project"],
    ] as const;
    const parts = why.filter(([n]) => n > 0).map(([n, what]) => `${count(n)} ${what}`);
    if (parts.length > 0) lines.push(`${a.agent}: skipped turns: ${parts.join(", ")}.`);
  }
  for (const a of summary.agents) {
    if (a.retentionDays === null) continue;
    lines.push(
      `${a.agent} deletes its session history after ${plural(a.retentionDays, "day")}: import at least that often.`,
    );
  }
  return lines;
}

/** The warnings and the readers' problems, for stderr (empty when there are none). */
export function renderImportProblems(summary: ImportSummary): string {
  const lines = summary.warnings.map((w) => `warning: ${printable(w)}`);
  for (const agent of summary.unsupported) {
    lines.push(`warning: ${printable(agent)} has no session-log reader; skipped`);
  }
  for (const a of summary.agents) {
    for (const [kind, p] of Object.entries(a.problems)) {
      const places = p.first.map((f) => `${f.where}: ${f.detail}`).join("; ");
      const more = p.count > p.first.length ? `; and ${count(p.count - p.first.length)} more` : "";
      lines.push(`${a.agent}: ${plural(p.count, kind)} skipped (${printable(places)}${more})`);
    }
  }
  return lines.map((l) => `${l}\n`).join("");
}
