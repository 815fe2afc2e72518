import { join } from "node:path";
import type { Event } from "../events/event.js";
import { EVENT_LOG_FILE } from "../telemetry/emit.js";
import { EXECUTION_EVENT_TYPE } from "../telemetry/execution-payload.js";
import { listFeatureDirs } from "../telemetry/features.js";
import { SimpleJsonStore } from "../telemetry/json-store.js";
import type { WarningSink } from "../telemetry/warnings.js";

/** What the project's logs already hold that the import must not add again. */
export interface StoredEvents {
  /** Every event id in every feature's log. */
  readonly ids: ReadonlySet<string>;
  /**
   * Per agent, the sessions of events not made by an import (orchestrate, emit): their usage is
   * already counted, so their turns are not imported.
   */
  readonly recordedSessions: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Reads every feature's log once (the import asks only when it has turns to place). */
export async function storedEvents(root: string, warn: WarningSink): Promise<StoredEvents> {
  const ids = new Set<string>();
  const recordedSessions = new Map<string, Set<string>>();
  for (const feature of await listFeatureDirs(root, { warn })) {
    const store = new SimpleJsonStore(join(feature.dir, EVENT_LOG_FILE), { warn, root });
    // An unreadable log is warned of and passed: each save still checks its own log's ids.
    await readInto(store, warn, (event) => {
      ids.add(event.event_id);
      if (event.event_type !== EXECUTION_EVENT_TYPE) return;
      const { agent, session_id: session, source } = event.payload;
      if (source === "import" || typeof agent !== "string" || typeof session !== "string") return;
      let sessions = recordedSessions.get(agent);
      if (sessions === undefined) {
        sessions = new Set();
        recordedSessions.set(agent, sessions);
      }
      sessions.add(session);
    });
  }
  return { ids, recordedSessions };
}

async function readInto(
  store: SimpleJsonStore,
  warn: WarningSink,
  each: (event: Event) => void,
): Promise<void> {
  try {
    for await (const event of store.events()) each(event);
  } catch (e) {
    warn({
      code: "LOG_UNREADABLE",
      file: store.filePath,
      message: `${store.filePath} could not be read (${e instanceof Error ? e.message : String(e)}); the import checks its ids when it writes`,
    });
  }
}
