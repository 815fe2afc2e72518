import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { AgentEnv } from "./define-invoker.js";
import { jsonRecords } from "./output-records.js";

/** The most of one run file we read: a runaway session log must not stall the orchestrator. */
const MAX_BYTES = 64 * 1024 * 1024;

/** An id safe to put in a path (a UUID, or Copilot's and Codex's ids): no separator, no dots. */
export function isPlainId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id);
}

/** `env[variable]`, else `<home>/<folder>` with the home the agent ran with. */
export function agentHome(env: AgentEnv, variable: string, folder: string): string {
  return env[variable] || join(env.HOME || homedir(), folder);
}

/**
 * The JSON objects of a JSONL file, in order, until `stop` says so or MAX_BYTES are read;
 * lines that do not parse are skipped. Rejects when the file cannot be opened.
 */
export async function readJsonLines(
  path: string,
  stop: (record: Record<string, unknown>) => boolean = () => false,
): Promise<Record<string, unknown>[]> {
  const stream = createReadStream(path, { encoding: "utf8", end: MAX_BYTES - 1 });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  await opened;
  const records: Record<string, unknown>[] = [];
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const record = line.startsWith("{") ? jsonRecords(line)[0] : undefined;
      if (record === undefined) continue;
      records.push(record);
      if (stop(record)) break;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return records;
}

/** The names in `dir`, or none when it cannot be read. */
export async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
