import { join } from "node:path";
import { compareEvents, type Event } from "../events/event.js";
import { compileFilter, type EventFilter, type ParsedFilter } from "./event-filter.js";
import { listFeatureDirs } from "./features.js";
import { SimpleJsonStore } from "./json-store.js";
import { warnLogUnreadable } from "./log-unreadable.js";
import { EVENT_LOG_FILE } from "./project-paths.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

export {
  compileFilter,
  type DateContext,
  type EventFilter,
  ORIGINS,
  type ParsedFilter,
  parseFilter,
  timeBound,
  UNKNOWN_ORIGIN,
} from "./event-filter.js";

export interface QueryOptions {
  /** Where malformed-line and unreadable-log warnings go; default stderr. */
  readonly warn?: WarningSink;
}

export interface ProjectQueryOptions extends QueryOptions {
  /** Only features whose folder name matches this prefix or glob (`043`, `04*`). */
  readonly feature?: string | undefined;
}

/**
 * One feature's matching events in file order, without holding them all. A missing folder or
 * log yields nothing; an unreadable log is one warning and yields nothing more.
 */
export async function* streamExecutionEvents(
  featureDir: string,
  filter: EventFilter | ParsedFilter = {},
  options: QueryOptions = {},
): AsyncGenerator<Event> {
  yield* streamLog(featureDir, compileFilter(filter), options.warn ?? stderrWarningSink);
}

async function* streamLog(
  featureDir: string,
  matches: (event: Event) => boolean,
  warn: WarningSink,
): AsyncGenerator<Event> {
  const logPath = join(featureDir, EVENT_LOG_FILE);
  try {
    for await (const event of new SimpleJsonStore(logPath, { warn }).events()) {
      if (matches(event)) yield event;
    }
  } catch (e) {
    // One unreadable log (a directory, no permission) must not hide every other feature's costs.
    warnLogUnreadable(logPath, e, warn);
  }
}

/** One feature's matching events, sorted by (lamport_clock, node_id) as the store contract says. */
export async function queryExecutionEvents(
  featureDir: string,
  filter: EventFilter = {},
  options: QueryOptions = {},
): Promise<Event[]> {
  return collectSorted(streamExecutionEvents(featureDir, filter, options));
}

/**
 * Matching events of every `kitty-specs/*\/execution.events.jsonl` in the project (or of the
 * features `options.feature` selects), feature by feature in file order.
 */
export async function* streamProjectEvents(
  repoRoot: string,
  filter: EventFilter = {},
  options: ProjectQueryOptions = {},
): AsyncGenerator<Event> {
  const warn = options.warn ?? stderrWarningSink;
  const matches = compileFilter(filter);
  for (const { dir } of await listFeatureDirs(repoRoot, { pattern: options.feature, warn })) {
    yield* streamLog(dir, matches, warn);
  }
}

/** Every matching event of the project, sorted by (lamport_clock, node_id). */
export async function queryProjectEvents(
  repoRoot: string,
  filter: EventFilter = {},
  options: ProjectQueryOptions = {},
): Promise<Event[]> {
  return collectSorted(streamProjectEvents(repoRoot, filter, options));
}

async function collectSorted(events: AsyncIterable<Event>): Promise<Event[]> {
  const all: Event[] = [];
  for await (const event of events) all.push(event);
  return all.sort(compareEvents);
}
