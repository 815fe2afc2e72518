import { type Event, eventRecord } from "../events/event.js";
import { epochMicros } from "../events/timestamp.js";
import { eventCost, type RateResolver } from "../telemetry/cost.js";
import { EXECUTION_FLOAT_KEYS } from "../telemetry/execution-payload.js";
import { formatUsd, usdForJson } from "../telemetry/money.js";
import { type Colors, formatCount, prettyJsonArray, prettyJsonArrayAsync } from "./output.js";
import { layoutNote, renderFitting, type TableSpec, wrapText } from "./table.js";
import { printable } from "./terminal-text.js";

const EVENTS_JSON_FLOAT_KEYS: ReadonlySet<string> = new Set([
  ...EXECUTION_FLOAT_KEYS,
  "estimated_cost_usd",
]);

/**
 * The events as one JSON array: each event's on-disk fields (`cost_usd` as recorded, written
 * as a float), then how the report costs it: `cost_kind` (reported, estimated, unpriced or
 * no-usage) and `estimated_cost_usd`, the estimate from its tokens (for an unpriced event, what
 * its priced models cost; null when the cost is reported or there is no usage). The report
 * counts `cost_usd` when not null, else `estimated_cost_usd`, else 0.
 */
export function renderEventsJson(
  events: Iterable<Event>,
  pricing: RateResolver,
): Generator<string> {
  function* records() {
    for (const event of events) yield eventJsonRecord(event, pricing);
  }
  // One event at a time: a million events make more text than one string may hold.
  return prettyJsonArray(records(), EVENTS_JSON_FLOAT_KEYS);
}

/** `renderEventsJson` of events that come one at a time (a stream never held whole). */
export function renderEventsJsonStream(
  events: AsyncIterable<Event>,
  pricing: RateResolver,
): AsyncGenerator<string> {
  async function* records() {
    for await (const event of events) yield eventJsonRecord(event, pricing);
  }
  return prettyJsonArrayAsync(records(), EVENTS_JSON_FLOAT_KEYS);
}

function eventJsonRecord(event: Event, pricing: RateResolver) {
  const { cost, kind } = eventCost(event, pricing);
  const estimated = kind === "estimated" || kind === "unpriced";
  return {
    ...eventRecord(event),
    cost_kind: kind,
    estimated_cost_usd: estimated ? usdForJson(cost) : null,
  };
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? printable(v) : "-");
const count = (v: unknown) => (typeof v === "number" ? formatCount(v) : "-");

function utcMinute(event: Event): string {
  const iso = new Date(epochMicros(event.timestamp) / 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

interface EventsLayout {
  readonly spec: TableSpec;
  readonly note?: string;
}

/**
 * The events as a table for people, oldest first; estimated costs marked `~`, unknown `?`.
 * Given a `width` (and not `wide`), a table that does not fit gives way to one with fewer
 * columns, said so in one line.
 */
export function renderEventsTable(
  events: readonly Event[],
  pricing: RateResolver,
  colors: Colors,
  fit: { readonly width?: number | undefined; readonly wide?: boolean | undefined } = {},
): string {
  const rows = events.map((event) => {
    const p = event.payload;
    const { cost, kind } = eventCost(event, pricing);
    const costText =
      kind === "unpriced" || kind === "no-usage"
        ? "?"
        : `${kind === "estimated" ? "~" : ""}$${formatUsd(cost, 4)}`;
    const outcome =
      p.success === true
        ? colors.green("ok")
        : p.success === false
          ? colors.red(typeof p.exit_code === "number" ? `failed (${p.exit_code})` : "failed")
          : "-";
    const tokens =
      typeof p.input_tokens === "number" || typeof p.output_tokens === "number"
        ? formatCount(
            (typeof p.input_tokens === "number" ? p.input_tokens : 0) +
              (typeof p.output_tokens === "number" ? p.output_tokens : 0),
          )
        : "-";
    return {
      time: utcMinute(event),
      feature: { text: printable(event.aggregate_id), paint: colors.cyan },
      wp: text(p.wp_id),
      agent: { text: text(p.agent) },
      role: text(p.role),
      model: { text: text(p.model) },
      input: count(p.input_tokens),
      output: count(p.output_tokens),
      tokens,
      cost: costText,
      outcome,
    };
  });
  type Row = (typeof rows)[number];
  type Key = keyof Row;
  const HEADS: Record<Key, [string, "left" | "right"]> = {
    time: ["Time (UTC)", "left"],
    feature: ["Feature", "left"],
    wp: ["WP", "left"],
    agent: ["Agent", "left"],
    role: ["Role", "left"],
    model: ["Model", "left"],
    input: ["Input", "right"],
    output: ["Output", "right"],
    tokens: ["Tokens", "right"],
    cost: ["Cost (USD)", "right"],
    outcome: ["Outcome", "left"],
  };
  const layout = (
    keys: readonly Key[],
    minWidths: Partial<Record<Key, number>>,
    note?: string,
  ): EventsLayout => ({
    spec: {
      head: keys.map((k) => HEADS[k][0]),
      align: keys.map((k) => HEADS[k][1]),
      rows: rows.map((r) => keys.map((k) => r[k])),
      minWidths: keys.map((k) => minWidths[k]),
    },
    ...(note === undefined ? {} : { note }),
  });
  const layouts: [EventsLayout, ...EventsLayout[]] = [
    layout(
      ["time", "feature", "wp", "agent", "role", "model", "input", "output", "cost", "outcome"],
      {},
    ),
    layout(
      ["time", "feature", "wp", "agent", "model", "tokens", "cost", "outcome"],
      { feature: 12, agent: 8, model: 10 },
      "Compact: no Role; Tokens = in + out;",
    ),
    layout(
      ["time", "feature", "model", "cost", "outcome"],
      { feature: 10, model: 10 },
      "Narrow: no WP, agent, role, tokens;",
    ),
    layout(
      ["time", "feature", "cost", "outcome"],
      { feature: 8 },
      "Narrow: time, feature, cost only;",
    ),
  ];
  const width = fit.wide ? undefined : fit.width;
  const { layout: chosen, text: table, shortened } = renderFitting(layouts, width);
  if (chosen.note === undefined) return table;
  const note = layoutNote(chosen.note, shortened);
  const lines = width === undefined ? [note] : wrapText(note, width);
  return table + lines.map((line) => `${colors.dim(line)}\n`).join("");
}
