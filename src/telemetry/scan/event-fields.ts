import type { Event } from "../../events/event.js";
import { epochMicros } from "../../events/timestamp.js";
import { EXECUTION_EVENT_TYPE, PAYLOAD_FIELDS } from "../execution-payload.js";
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

  /** Empties the payload's fields (a payload without them reads as nulls). */
  clearPayload(): void {
    this.agent = this.model = this.role = this.wpId = null;
    this.success = null;
    this.inputTokens = this.outputTokens = this.cacheReadTokens = this.cacheWriteTokens = null;
    this.costUsd = Number.NaN;
  }

  /** Fills in from an event the full parse accepted. */
  fromEvent(event: Event): this {
    const idBytes = Buffer.from(event.event_id, "latin1");
    this.id.decode(idBytes, 0, idBytes.length);
    this.isExecution = event.event_type === EXECUTION_EVENT_TYPE;
    this.aggregateId = event.aggregate_id;
    this.micros = epochMicros(event.timestamp);
    this.clearPayload();
    const p = event.payload;
    // The same fields the line scanner fills, from the same definition.
    for (const field of PAYLOAD_FIELDS) {
      const value = p[field.name];
      if (!("report" in field)) continue;
      switch (field.kind) {
        case "text":
          this[field.report] = typeof value === "string" ? value : null;
          break;
        case "tokens":
          this[field.report] = typeof value === "number" ? value : null;
          break;
        case "usd":
          this.costUsd = typeof value === "number" ? value : Number.NaN;
          break;
        case "boolean":
          this.success = typeof value === "boolean" ? value : null;
          break;
      }
    }
    return this;
  }
}
