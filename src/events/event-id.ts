/** An event id in canonical form: an upper-case ULID or a lower-case hyphenated UUID. */
export type EventId = string & { readonly __brand: "EventId" };

// Crockford base32 without I, L, O, U, in either case (Python's spec_kitty_events accepts both).
const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const UUID_HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_BARE = /^[0-9a-f]{32}$/i;
const CANONICAL_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Canonical form of an event id, or an explanation of why it is not one.
 * Mirrors the Python `normalize_event_id`: ULIDs upper-cased, UUIDs lower-cased and hyphenated.
 */
export function normalizeEventId(value: unknown): EventId | { readonly error: string } {
  if (typeof value !== "string") {
    return { error: `event id must be a string, got ${value === null ? "null" : typeof value}` };
  }
  if (value.length === 26) {
    return ULID_PATTERN.test(value)
      ? (value.toUpperCase() as EventId)
      : // The value is not quoted: a warning never repeats a file's content.
        { error: "26-character event id is not a Crockford base32 ULID" };
  }
  if (value.length === 36 && UUID_HYPHENATED.test(value)) {
    return value.toLowerCase() as EventId;
  }
  if (value.length === 32 && UUID_BARE.test(value)) {
    const h = value.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as EventId;
  }
  return {
    error: `event id must be a 26-character ULID or a UUID (32 or 36 characters), got ${value.length} characters`,
  };
}

/** True for a canonical (upper-case) ULID, whose first 10 characters encode its creation time. */
export function isUlid(id: EventId): boolean {
  return id.length === 26 && CANONICAL_ULID.test(id);
}
