import pg from "pg";
import { CodedError } from "../../events/errors.js";

export type TeamStoreErrorCode = "PG_BAD_URL" | "PG_CONNECT_FAILED" | "PG_QUERY_FAILED";

/** The team store cannot be reached or refused what was asked: one line for the user. */
export class TeamStoreError extends CodedError<TeamStoreErrorCode> {}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "(not a URL)";
  }
}

/** A connection string this client takes: postgres:// or postgresql://. */
export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TeamStoreError(
      "PG_BAD_URL",
      `not a PostgreSQL URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new TeamStoreError(
      "PG_BAD_URL",
      `${redactedUrl(url)}: expected a postgres:// or postgresql:// URL`,
    );
  }
}

/** What went wrong, in a line: the server's own message, or the network's reason. */
export function reasonOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return reasonOf(e.errors[0]);
  const error = e as { code?: string; message?: string };
  return [error.code, error.message].filter((part) => part !== undefined && part !== "").join(": ");
}

/** A connected client; the caller ends it. Connection failures become one TeamStoreError line. */
export async function connect(url: string, timeoutMs = 10_000): Promise<pg.Client> {
  checkUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // An idle connection dropped by the server must not crash the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new TeamStoreError(
      "PG_CONNECT_FAILED",
      `cannot connect to ${redactedUrl(url)}: ${reasonOf(e)}`,
    );
  }
  return client;
}

/** Runs `work` in one transaction, rolled back when it throws. */
export async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}
