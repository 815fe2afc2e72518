import { indexOrAdd } from "../string-index.js";

/**
 * Numbers for the strings rows are keyed by (feature, agent, model, role, WP id, origin,
 * period): each distinct value gets its number once, so that the line scanner hands an event's
 * key over as a few integers and its row is found by comparing them, not by hashing strings.
 * One table per thread, kept while the process runs: it holds each distinct key value once
 * (a project has tens to thousands), as the rows made of them do.
 */
const texts: (string | null)[] = [null];
const numbers = new Map<string | null, number>();

/** The number of null. */
export const NULL_TEXT = 0;

/** The number of `text` (NULL_TEXT for null), given it now if it has none yet. */
export function textNumber(text: string | null): number {
  return text === null ? NULL_TEXT : indexOrAdd(texts, numbers, text);
}

/** The text numbered `n` (null for NULL_TEXT). */
export function textOf(n: number): string | null {
  return texts[n] ?? null;
}

/** The number of the empty string (an aggregate id a report does not keep). */
export const EMPTY_TEXT = textNumber("");
