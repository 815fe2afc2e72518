import type pg from "pg";
import { type GroupByKey, periodUnitOf, type RateResolver } from "../../telemetry/cost.js";
import type { ParsedFilter } from "../../telemetry/event-filter.js";
import { featureMatcher } from "../../telemetry/features.js";
import { type CostReport, rollUpRows } from "../../telemetry/report.js";
import { localPeriodKeyer } from "../../telemetry/time-zone.js";
import { rowFromKeyAndSums, type UsageRow } from "../../telemetry/usage-rows.js";
import { connect, reasonOf, redactedUrl, TeamStoreError } from "./connect.js";

export interface StoreScope {
  readonly url: string;
  /** Only this project (as `sync` named it); every project in the store when absent. */
  readonly project?: string | undefined;
  /** A feature folder prefix or glob, as in the file report. */
  readonly feature?: string | undefined;
  readonly filter: ParsedFilter;
  readonly timeZone?: string | undefined;
}

// Every zone's offset is a multiple of 15 minutes and changes on such a boundary, so a 15-minute
// slot of UTC lies in one local day: the store groups by slot, the period is found here, by
// the very function the file report uses (and not by the database's own time zone data).
const SLOT_MICROS = 15 * 60 * 1_000_000;

/**
 * The cost report over the team store: the usage parts summed in SQL (per project, feature and
 * key, and per 15-minute slot when grouped by time), then priced and rolled up by the file
 * report's own code, so the output is the same for the same events.
 */
export async function storeCostReport(
  scope: StoreScope,
  keys: readonly GroupByKey[],
  pricing: RateResolver,
): Promise<CostReport> {
  const client = await connect(scope.url);
  try {
    const features = await featuresInScope(client, scope);
    const projects = new Set(features.map((f) => f.project));
    const rows = await summedRows(client, scope, keys, features, projects.size > 1);
    const wpByFeature = !(scope.feature !== undefined && features.length === 1);
    const rolled = rollUpRows(rows, keys, scope.filter, pricing, {
      timeZone: scope.timeZone,
      wpByFeature,
    });
    return { ...rolled, featureCount: features.length };
  } catch (e) {
    if (e instanceof TeamStoreError) throw e;
    throw new TeamStoreError("PG_QUERY_FAILED", `${redactedUrl(scope.url)}: ${reasonOf(e)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function featuresInScope(client: pg.Client, scope: StoreScope) {
  const found = await client.query<{ project_id: string; aggregate_id: string }>(
    `SELECT DISTINCT project_id, aggregate_id FROM spec_kitty_usage_parts
     WHERE ($1::text IS NULL OR project_id = $1) ORDER BY project_id, aggregate_id`,
    [scope.project ?? null],
  );
  const matches = scope.feature === undefined ? () => true : featureMatcher(scope.feature);
  return found.rows
    .filter((r) => matches(r.aggregate_id))
    .map((r) => ({ project: r.project_id, feature: r.aggregate_id }));
}

async function summedRows(
  client: pg.Client,
  scope: StoreScope,
  keys: readonly GroupByKey[],
  features: readonly { project: string; feature: string }[],
  manyProjects: boolean,
): Promise<UsageRow[]> {
  if (features.length === 0) return [];
  const unit = periodUnitOf(keys);
  const result = await client.query<{
    project_id: string;
    row_key: unknown[];
    slot: string | null;
    sums: string[];
  }>(
    `SELECT project_id, row_key, slot, array_agg(total ORDER BY i)::text[] AS sums FROM (
       SELECT p.project_id, p.row_key, u.i,
              CASE WHEN $5 THEN p.occurred_us / ${SLOT_MICROS} END AS slot,
              sum(u.v) AS total
       FROM spec_kitty_usage_parts p
       JOIN unnest($1::text[], $2::text[]) AS f(project_id, aggregate_id)
         ON f.project_id = p.project_id AND f.aggregate_id = p.aggregate_id
       CROSS JOIN LATERAL unnest(p.sums) WITH ORDINALITY AS u(v, i)
       WHERE ($3::bigint IS NULL OR p.occurred_us >= $3) AND ($4::bigint IS NULL OR p.occurred_us <= $4)
       GROUP BY p.project_id, p.row_key, slot, u.i
     ) AS summed GROUP BY project_id, row_key, slot`,
    [
      features.map((f) => f.project),
      features.map((f) => f.feature),
      scope.filter.sinceMicros ?? null,
      scope.filter.untilMicros ?? null,
      unit !== undefined,
    ],
  );
  const periodOf = unit === undefined ? undefined : localPeriodKeyer(scope.timeZone ?? "UTC", unit);
  const rows: UsageRow[] = [];
  for (const r of result.rows) {
    // Across projects, one feature name may be two projects' features: the project says which.
    const key = manyProjects
      ? [`${r.project_id}:${r.row_key[0]}`, ...r.row_key.slice(1)]
      : r.row_key;
    const period =
      periodOf === undefined || r.slot === null ? null : periodOf(Number(r.slot) * SLOT_MICROS);
    const row = rowFromKeyAndSums(key, r.sums, period);
    if (row === null) {
      throw new TeamStoreError(
        "PG_QUERY_FAILED",
        `${redactedUrl(scope.url)}: a usage row of ${r.project_id} is malformed (a newer spec-kitty wrote it?)`,
      );
    }
    rows.push(row);
  }
  return rows;
}
