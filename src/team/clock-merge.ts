import { toPythonJson } from "../events/py-json.js";

// A `"node": value` pair, found even in a side that is no longer JSON (conflict markers left
// by a merge made before the driver was set up), so that no node's clock is lost.
const CLOCK_PAIR = /"((?:[^"\\]|\\.)*)"\s*:\s*(\d+)/g;

/** The node clocks written in a clock file's text; nothing for an empty or unreadable one. */
export function clockValuesIn(text: string): Map<string, number> {
  const values = new Map<string, number>();
  const keep = (node: string, value: number) => {
    if (Number.isSafeInteger(value) && value >= 0) {
      values.set(node, Math.max(values.get(node) ?? 0, value));
    }
  };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const [node, value] of Object.entries(parsed)) {
        if (typeof value === "number") keep(node, value);
      }
      return values;
    }
  } catch {
    // Not JSON: salvage the pairs below.
  }
  for (const m of text.matchAll(CLOCK_PAIR)) {
    const node = JSON.parse(`"${m[1] ?? ""}"`) as string;
    keep(node, Number(m[2]));
  }
  return values;
}

/**
 * The merge of two branches' clock files (`.telemetry-clock.json`): each node's highest value.
 * Clocks only grow, so the common ancestor has nothing to add. Written as the Python writer
 * writes it (keys sorted, no trailing newline).
 */
export function mergeClockTexts(ours: string, theirs: string): string {
  const merged = clockValuesIn(ours);
  for (const [node, value] of clockValuesIn(theirs)) {
    merged.set(node, Math.max(merged.get(node) ?? 0, value));
  }
  return toPythonJson(Object.fromEntries(merged));
}
