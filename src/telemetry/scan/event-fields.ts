import type { Event } from "../../events/event.js";
import { epochMicros } from "../../events/timestamp.js";
import { EXECUTION_EVENT_TYPE } from "../execution-payload.js";
import { IdKey } from "./id-set.js";

/**
 * What a report needs of one valid event. One instance is reused for every line of a scan
 * (filled by the fast line scanner, or from a fully parsed event), so a scan allocates no
 * object per line.
 */
export class EventFields {
  readonly id = new IdKey();
  isExecution = false;
  aggregateId = "";
  agent: string | null = null;
  model: string | null = null;
  role: string | null = null;
  wpId: string | null = null;
  success: boolean | null = null;
  /** The timestamp in microseconds since the epoch. */
  micros = 0;
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  cacheReadTokens: number | null = null;
  cacheWriteTokens: number | null = null;
  /** The reported cost; NaN when there is none (a number field: no allocation per line). */
  costUsd = Number.NaN;

  /** Fills in from an event the full parse accepted. */
  fromEvent(event: Event): this {
    const idBytes = Buffer.from(event.event_id, "latin1");
    this.id.decode(idBytes, 0, idBytes.length);
    this.isExecution = event.event_type === EXECUTION_EVENT_TYPE;
    this.aggregateId = event.aggregate_id;
    this.micros = epochMicros(event.timestamp);
    const p = event.payload;
    this.agent = typeof p.agent === "string" ? p.agent : null;
    this.model = typeof p.model === "string" ? p.model : null;
    this.role = typeof p.role === "string" ? p.role : null;
    this.wpId = typeof p.wp_id === "string" ? p.wp_id : null;
    this.success = typeof p.success === "boolean" ? p.success : null;
    this.inputTokens = typeof p.input_tokens === "number" ? p.input_tokens : null;
    this.outputTokens = typeof p.output_tokens === "number" ? p.output_tokens : null;
    this.cacheReadTokens = typeof p.cache_read_tokens === "number" ? p.cache_read_tokens : null;
    this.cacheWriteTokens = typeof p.cache_write_tokens === "number" ? p.cache_write_tokens : null;
    this.costUsd = typeof p.cost_usd === "number" ? p.cost_usd : Number.NaN;
    return this;
  }
}
