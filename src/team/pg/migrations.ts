/**
 * The team store's schema, one migration a version, applied in order by `migrate` (each in its
 * own transaction, under an advisory lock, recorded in spec_kitty_migrations). Kept as code so
 * that the bundled CLI carries them. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}[] = [
  {
    version: 1,
    name: "events and usage parts",
    sql: `
-- spec-kitty telemetry team store, version 1.
CREATE TABLE IF NOT EXISTS spec_kitty_projects (
  project_id      text PRIMARY KEY,
  first_synced_at timestamptz NOT NULL DEFAULT now(),
  last_synced_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event: the envelope, typed usage columns, the payload as jsonb, and the line as
-- our writers write it (so that reports read from here print exactly what the files print).
CREATE TABLE IF NOT EXISTS spec_kitty_events (
  project_id            text NOT NULL REFERENCES spec_kitty_projects (project_id),
  event_id              text NOT NULL,
  event_type            text NOT NULL,
  aggregate_id          text NOT NULL,
  node_id               text NOT NULL,
  lamport_clock         bigint NOT NULL,
  causation_id          text,
  occurred_at           timestamptz NOT NULL,
  occurred_us           bigint NOT NULL,
  wp_id                 text,
  agent                 text,
  role                  text,
  model                 text,
  success               boolean,
  input_tokens          bigint,
  output_tokens         bigint,
  cache_read_tokens     bigint,
  cache_write_tokens    bigint,
  cache_write_1h_tokens bigint,
  reasoning_tokens      bigint,
  cost_usd              double precision,
  duration_ms           double precision,
  source                text,
  payload               jsonb NOT NULL,
  line                  text NOT NULL,
  PRIMARY KEY (project_id, event_id)
);
CREATE INDEX IF NOT EXISTS spec_kitty_events_time ON spec_kitty_events (project_id, occurred_us);

-- The report's usage rows of each event (one per model share): the key the report groups and
-- filters by, and the exact sums it prices, so that \`cost --from\` sums them in SQL and prices
-- them with the very code the file report uses.
CREATE TABLE IF NOT EXISTS spec_kitty_usage_parts (
  project_id   text NOT NULL,
  event_id     text NOT NULL,
  part         smallint NOT NULL,
  aggregate_id text NOT NULL,
  occurred_us  bigint NOT NULL,
  row_key      jsonb NOT NULL,
  sums         numeric[] NOT NULL,
  PRIMARY KEY (project_id, event_id, part),
  FOREIGN KEY (project_id, event_id) REFERENCES spec_kitty_events (project_id, event_id)
);
CREATE INDEX IF NOT EXISTS spec_kitty_usage_parts_time ON spec_kitty_usage_parts (project_id, occurred_us);
`,
  },
];
