import { type ParsedFilter, UNKNOWN_ORIGIN } from "./event-filter.js";

/** The field filters a hint can be about, with the flag that sets each and what it names. */
const FIELDS = [
  ["wpId", "--wp", "work packages"],
  ["agent", "--agent", "agents"],
  ["model", "--model", "models"],
  ["role", "--role", "roles"],
] as const;
type Field = (typeof FIELDS)[number][0];

/** Whether a filter can have hints: it names a field value (else no value need be gathered). */
export function mayHint(filter: ParsedFilter): boolean {
  return FIELDS.some(([field]) => filter[field] !== undefined) || (filter.origin ?? []).length > 0;
}

/** A filter value no event has, and the values events do have. */
export interface FilterHint {
  readonly flag: string;
  readonly value: string;
  /** What the values are (`agents`). */
  readonly noun: string;
  /** The values the events in scope have, sorted. */
  readonly existing: readonly string[];
}

/**
 * The distinct values of the filterable fields seen in the events in scope (features, time),
 * so that a filter that matches nothing can say what would have (`--agent Claude`: `claude`).
 */
export class FieldValues {
  readonly #seen = new Map<Field, Set<string>>(FIELDS.map(([field]) => [field, new Set()]));
  // Origins as reports name them: an event without a `source` is `unknown`.
  readonly #origins = new Set<string>();

  add(values: Readonly<Record<Field | "source", unknown>>): void {
    for (const [field] of FIELDS) {
      const value = values[field];
      if (typeof value === "string" && value !== "") this.#seen.get(field)?.add(value);
    }
    this.#origins.add(typeof values.source === "string" ? values.source : UNKNOWN_ORIGIN);
  }

  /** A hint for each field filter whose value no event in scope has. */
  hints(filter: ParsedFilter): FilterHint[] {
    const hints: FilterHint[] = [];
    for (const [field, flag, noun] of FIELDS) {
      const value = filter[field];
      const seen = this.#seen.get(field) ?? new Set();
      if (value === undefined || seen.has(value)) continue;
      hints.push({ flag, value, noun, existing: [...seen].sort() });
    }
    for (const value of filter.origin ?? []) {
      if (this.#origins.has(value)) continue;
      hints.push({ flag: "--origin", value, noun: "origins", existing: [...this.#origins].sort() });
    }
    return hints;
  }
}
