import { compareEvents, type Event } from "../events/event.js";
import { epochMicros } from "../events/timestamp.js";
import { CostAccumulator, type CostGroup, parseGroupBy, type RateResolver } from "./cost.js";
import { EXECUTION_EVENT_TYPE } from "./execution-payload.js";
import { listFeatureDirs } from "./features.js";
import { compileFilter, type EventFilter, streamExecutionEvents } from "./query.js";
import type { WarningSink } from "./warnings.js";

/** What to report on: the project, its features, and which of their execution events. */
export interface ReportScope {
  readonly repoRoot: string;
  /** A feature folder prefix or glob; all features when absent. */
  readonly feature?: string | undefined;
  /** Further conditions; the event type is always `ExecutionEvent`. */
  readonly filter?: Omit<EventFilter, "eventType">;
  readonly warn: WarningSink;
}

export interface CostReport {
  readonly groups: CostGroup[];
  /** Features selected (0 with a `feature` pattern means it matched nothing). */
  readonly featureCount: number;
}

export interface EventListing {
  /** Matching events, oldest first (by timestamp, then Lamport clock and node). */
  readonly events: Event[];
  readonly featureCount: number;
}

async function* scopeEvents(
  scope: ReportScope,
  onFeatures: (count: number) => void,
): AsyncGenerator<Event> {
  const filter = { ...scope.filter, eventType: EXECUTION_EVENT_TYPE };
  compileFilter(filter); // a bad date bound fails before any file is read
  const features = await listFeatureDirs(scope.repoRoot, {
    pattern: scope.feature,
    warn: scope.warn,
  });
  onFeatures(features.length);
  for (const { dir } of features) {
    yield* streamExecutionEvents(dir, filter, { warn: scope.warn });
  }
}

/** The cost report of a project's execution events, streamed: memory holds only the groups. */
export async function costReport(
  scope: ReportScope,
  groupBy: string,
  pricing: RateResolver,
): Promise<CostReport> {
  const acc = new CostAccumulator(parseGroupBy(groupBy), pricing);
  let featureCount = 0;
  for await (const event of scopeEvents(scope, (n) => {
    featureCount = n;
  })) {
    acc.add(event);
  }
  return { groups: acc.groups(), featureCount };
}

/** A project's matching execution events, oldest first; only the last `limit` when given. */
export async function listEvents(scope: ReportScope, limit?: number): Promise<EventListing> {
  const timed: { at: number; event: Event }[] = [];
  let featureCount = 0;
  for await (const event of scopeEvents(scope, (n) => {
    featureCount = n;
  })) {
    timed.push({ at: epochMicros(event.timestamp), event });
  }
  timed.sort((a, b) => a.at - b.at || compareEvents(a.event, b.event));
  const events = timed.map((t) => t.event);
  const shown = limit === undefined ? events : events.slice(Math.max(0, events.length - limit));
  return { events: shown, featureCount };
}
