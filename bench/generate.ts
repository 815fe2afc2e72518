import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { ulid } from "ulid";
import { createEvent, serializeEvent } from "../src/events/event.js";
import { utcTimestampFromMicros } from "../src/events/timestamp.js";
import { EXECUTION_FLOAT_KEYS } from "../src/telemetry/execution-payload.js";

const AGENTS = ["claude", "codex", "gemini", "opencode", "copilot"] as const;
const MODELS = [
  "claude-opus-4-6",
  "claude-sonnet-4-5",
  "gpt-5.1-codex",
  "gemini-2.5-pro",
  null,
] as const;
const ROLES = ["implementer", "reviewer", "planner"] as const;

/** Writes a realistic log of `count` events in the on-disk format (every 1000th line malformed). */
export async function generateLog(path: string, count: number, slug = "043-bench"): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, "w");
  const start = Date.UTC(2026, 0, 1) * 1000;
  let chunk: string[] = [];
  for (let i = 1; i <= count; i++) {
    const micros = start + i * 37_000_123;
    const costKnown = i % 3 !== 0;
    const event = createEvent({
      event_id: ulid(Math.floor(micros / 1000)),
      event_type: "ExecutionEvent",
      aggregate_id: slug,
      timestamp: utcTimestampFromMicros(micros),
      node_id: `cli:WP${String((i % 12) + 1).padStart(2, "0")}`,
      lamport_clock: i,
      payload: {
        wp_id: `WP${String((i % 12) + 1).padStart(2, "0")}`,
        agent: AGENTS[i % AGENTS.length] ?? null,
        role: ROLES[i % ROLES.length] ?? null,
        model: MODELS[i % MODELS.length] ?? null,
        input_tokens: i % 7 === 0 ? null : 1000 + ((i * 7919) % 400_000),
        output_tokens: i % 7 === 0 ? null : 100 + ((i * 104_729) % 30_000),
        cost_usd: costKnown ? ((i * 13) % 5000) / 1000 : null,
        duration_ms: (i * 31) % 900_000,
        success: i % 17 !== 0,
        error: i % 17 === 0 ? "agent exited with code 1" : null,
        exit_code: i % 17 === 0 ? 1 : 0,
      },
    });
    chunk.push(serializeEvent(event, EXECUTION_FLOAT_KEYS));
    if (i % 1000 === 0) chunk.push('{"event_id": "torn');
    if (chunk.length >= 5000) {
      await file.write(`${chunk.join("\n")}\n`);
      chunk = [];
    }
  }
  if (chunk.length > 0) await file.write(`${chunk.join("\n")}\n`);
  await file.close();
}
