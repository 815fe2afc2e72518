import { type Event, eventRecord } from "../events/event.js";
import { epochMicros } from "../events/timestamp.js";
import { eventCost, type RateResolver } from "../telemetry/cost.js";
import { EXECUTION_FLOAT_KEYS } from "../telemetry/execution-payload.js";
import { formatUsd } from "../telemetry/money.js";
import { type Colors, formatCount, prettyJson } from "./output.js";
import { renderTable } from "./table.js";
import { printable } from "./terminal-text.js";

/** The events as one JSON array (on-disk field names; `cost_usd` written as a float). */
export function renderEventsJson(events: readonly Event[]): string {
  return prettyJson(events.map(eventRecord), EXECUTION_FLOAT_KEYS);
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? printable(v) : "-");
const count = (v: unknown) => (typeof v === "number" ? formatCount(v) : "-");

function utcMinute(event: Event): string {
  const iso = new Date(epochMicros(event.timestamp) / 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The events as a table for people, oldest first; estimated costs marked `~`, unknown `?`. */
export function renderEventsTable(
  events: readonly Event[],
  pricing: RateResolver,
  colors: Colors,
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
    return [
      utcMinute(event),
      colors.cyan(printable(event.aggregate_id)),
      text(p.wp_id),
      text(p.agent),
      text(p.role),
      text(p.model),
      count(p.input_tokens),
      count(p.output_tokens),
      costText,
      outcome,
    ];
  });
  return renderTable({
    head: [
      "Time (UTC)",
      "Feature",
      "WP",
      "Agent",
      "Role",
      "Model",
      "Input",
      "Output",
      "Cost (USD)",
      "Outcome",
    ],
    align: ["left", "left", "left", "left", "left", "left", "right", "right", "right", "left"],
    rows,
  });
}
