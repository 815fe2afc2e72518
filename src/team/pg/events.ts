import { compareEvents, type Event, isInvalid, parseEventLine } from "../../events/event.js";
import { epochMicros } from "../../events/timestamp.js";
import { UNKNOWN_ORIGIN } from "../../telemetry/event-filter.js";
import type { EventListing } from "../../telemetry/event-listing.js";
import { featureMatcher } from "../../telemetry/features.js";
import { connect, reasonOf, redactedUrl, TeamStoreError } from "./connect.js";
import type { StoreScope } from "./report.js";

/**
 * The events of the team store in scope, oldest first (time, then clock, node and id: the file
 * listing's order); only the latest `limit` when given, chosen by the database.
 */
export async function storeEvents(scope: StoreScope, limit?: number): Promise<EventListing> {
  const client = await connect(scope.url);
  try {
    const found = await client.query<{ project_id: string; aggregate_id: string }>(
      `SELECT DISTINCT project_id, aggregate_id FROM spec_kitty_events
       WHERE ($1::text IS NULL OR project_id = $1)`,
      [scope.project ?? null],
    );
    const matches = scope.feature === undefined ? () => true : featureMatcher(scope.feature);
    const features = found.rows.filter((r) => matches(r.aggregate_id));
    const f = scope.filter;
    const rows = await client.query<{ line: string }>(
      `SELECT line FROM (
         SELECT e.line, e.occurred_us, e.lamport_clock, e.node_id, e.event_id FROM spec_kitty_events e
         JOIN unnest($1::text[], $2::text[]) AS f(project_id, aggregate_id)
           ON f.project_id = e.project_id AND f.aggregate_id = e.aggregate_id
         WHERE e.event_type = 'ExecutionEvent'
           AND ($3::bigint IS NULL OR e.occurred_us >= $3) AND ($4::bigint IS NULL OR e.occurred_us <= $4)
           AND ($5::text IS NULL OR e.agent = $5) AND ($6::text IS NULL OR e.model = $6)
           AND ($7::text IS NULL OR e.role = $7) AND ($8::text IS NULL OR e.wp_id = $8)
           AND ($9::boolean IS NULL OR e.success = $9)
           AND ($11::text[] IS NULL OR coalesce(e.source, $12) = ANY($11))
         ORDER BY e.occurred_us DESC, e.lamport_clock DESC, e.node_id COLLATE "C" DESC, e.event_id COLLATE "C" DESC
         LIMIT $10
       ) AS latest`,
      [
        features.map((r) => r.project_id),
        features.map((r) => r.aggregate_id),
        f.sinceMicros ?? null,
        f.untilMicros ?? null,
        f.agent ?? null,
        f.model ?? null,
        f.role ?? null,
        f.wpId ?? null,
        f.success ?? null,
        limit ?? null,
        f.origin === undefined ? null : [...f.origin],
        UNKNOWN_ORIGIN,
      ],
    );
    const events: Event[] = [];
    for (const { line } of rows.rows) {
      const event = parseEventLine(line);
      if (!isInvalid(event)) events.push(event);
    }
    events.sort(
      (a, b) => epochMicros(a.timestamp) - epochMicros(b.timestamp) || compareEvents(a, b),
    );
    return {
      events,
      featureCount: new Set(features.map((r) => `${r.project_id}\0${r.aggregate_id}`)).size,
    };
  } catch (e) {
    if (e instanceof TeamStoreError) throw e;
    throw new TeamStoreError("PG_QUERY_FAILED", `${redactedUrl(scope.url)}: ${reasonOf(e)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
