import { join } from "node:path";
import type { Event } from "../events/event.js";
import { parseFilter } from "./event-filter.js";
import { EXECUTION_EVENT_TYPE } from "./execution-payload.js";
import { listFeatureDirs } from "./features.js";
import { FieldValues, type FilterHint } from "./filter-hints.js";
import { latestEvents } from "./latest-events.js";
import { EVENT_LOG_FILE } from "./project-paths.js";
import { streamExecutionEvents } from "./query.js";
import type { ReportScope } from "./report.js";
import { sortedEvents } from "./sorted-events.js";

// The events command's reads of a report's scope (events one by one, in time order): apart
// from the cost report (report.ts), which reads no event whole.

export interface EventListing {
  /** Matching events, oldest first (by timestamp, then Lamport clock and node). */
  readonly events: Event[];
  readonly featureCount: number;
}

async function* scopeEvents(
  scope: ReportScope,
  onFeatures: (count: number) => void,
): AsyncGenerator<Event> {
  // Parsed once, before any file is read (a bad date bound fails alone).
  const filter = { ...parseFilter(scope.filter), eventType: EXECUTION_EVENT_TYPE };
  const features = await listFeatureDirs(scope.repoRoot, {
    pattern: scope.feature,
    warn: scope.warn,
  });
  onFeatures(features.length);
  for (const { dir } of features) {
    yield* streamExecutionEvents(dir, filter, { warn: scope.warn });
  }
}

/**
 * For a listing that found nothing: each field filter whose value no event in scope (features,
 * time) has, with the values they have (a second read, on this rare path only).
 */
export async function filterHints(scope: ReportScope): Promise<FilterHint[]> {
  const filter = parseFilter(scope.filter);
  const { sinceMicros, untilMicros } = filter;
  const values = new FieldValues();
  const timeOnly = { ...scope, filter: { sinceMicros, untilMicros } };
  for await (const event of scopeEvents(timeOnly, () => undefined)) {
    const p = event.payload;
    values.add({ wpId: p.wp_id, agent: p.agent, model: p.model, role: p.role, source: p.source });
  }
  return values.hints(filter);
}

/**
 * A project's matching execution events, oldest first (by timestamp, then Lamport clock, node
 * and id), one at a time without holding them all (see `sortedEvents`); `onFeatures` is told
 * how many features are selected before the first event.
 */
export async function* streamEvents(
  scope: ReportScope,
  onFeatures?: (count: number) => void,
): AsyncGenerator<Event> {
  const filter = { ...parseFilter(scope.filter), eventType: EXECUTION_EVENT_TYPE };
  const features = await listFeatureDirs(scope.repoRoot, {
    pattern: scope.feature,
    warn: scope.warn,
  });
  onFeatures?.(features.length);
  const paths = features.map(({ dir }) => join(dir, EVENT_LOG_FILE));
  yield* sortedEvents(paths, filter, { warn: scope.warn, order: "time" });
}

/**
 * A project's matching execution events, oldest first; only the last `limit` when given (then
 * only `limit` places are held while reading, and only those lines are parsed: `latestEvents`).
 */
export async function listEvents(scope: ReportScope, limit?: number): Promise<EventListing> {
  if (limit !== undefined) {
    const filter = parseFilter(scope.filter);
    const features = await listFeatureDirs(scope.repoRoot, {
      pattern: scope.feature,
      warn: scope.warn,
    });
    const paths = features.map(({ dir }) => join(dir, EVENT_LOG_FILE));
    const events = await latestEvents(paths, filter, limit, { warn: scope.warn });
    return { events, featureCount: features.length };
  }
  let featureCount = 0;
  const events: Event[] = [];
  for await (const event of streamEvents(scope, (n) => {
    featureCount = n;
  })) {
    events.push(event);
  }
  return { events, featureCount };
}
