import type { EventId } from "../events/event-id.js";
import { createHash } from "../telemetry/node-crypto.js";

/**
 * The id of the event a turn makes for one target: a name-based UUID (version 5 layout) of the
 * agent, the turn and the target, so that the same turn always gives the same id and a second
 * import, an import without its state, or one on a clone that pulled the events adds nothing.
 */
export function importEventId(agent: string, turnId: string, target: string): EventId {
  const hash = createHash("sha1")
    .update(`spec-kitty-import\0${agent}\0${turnId}\0${target}`)
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as EventId;
}
