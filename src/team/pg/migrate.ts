import type pg from "pg";
import { inTransaction } from "./connect.js";
import { MIGRATIONS } from "./migrations.js";

// One lock for every process migrating the same database (any number of clones syncing at once).
const MIGRATION_LOCK = 0x5_bec_c1e;

/** Brings the schema up to the newest migration; returns the versions applied now. */
export async function migrate(client: pg.Client): Promise<number[]> {
  const applied: number[] = [];
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
  try {
    await client.query(
      "CREATE TABLE IF NOT EXISTS spec_kitty_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = await client.query<{ version: number }>(
      "SELECT version FROM spec_kitty_migrations",
    );
    const have = new Set(done.rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (have.has(migration.version)) continue;
      await inTransaction(client, async () => {
        await client.query(migration.sql);
        await client.query("INSERT INTO spec_kitty_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
      });
      applied.push(migration.version);
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
  }
  return applied;
}
