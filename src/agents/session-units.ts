import { stat } from "node:fs/promises";
import { join } from "node:path";
import { namesIn } from "./run-files.js";
import type { SpecKittySignals } from "./session-logs.js";
import { NO_SIGNALS, specKittySignals } from "./spec-kitty-signals.js";

/** A unit's stamp and last write from its files' sizes, mtimes and inodes (missing: skipped). */
export async function filesStamp(
  files: readonly string[],
): Promise<{ stamp: string; lastWriteMs: number }> {
  const parts: string[] = [];
  let lastWriteMs = 0;
  for (const file of files) {
    const s = await stat(file).catch(() => null);
    if (s === null) continue;
    parts.push(`${s.ino}:${s.size}:${Math.trunc(s.mtimeMs)}`);
    lastWriteMs = Math.max(lastWriteMs, Math.trunc(s.mtimeMs));
  }
  return { stamp: parts.join(","), lastWriteMs };
}

/** Whether `path` is a folder (false when it is missing or unreadable). */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

/** The entries of `dir` that satisfy `keep`, sorted, as full paths. */
export async function entriesIn(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  return (await namesIn(dir))
    .filter(keep)
    .toSorted()
    .map((name) => join(dir, name));
}

/** ISO 8601 in UTC from an ISO string or epoch milliseconds; null when it is not a time. */
export function isoTime(value: string | number | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** The spec-kitty signals of `texts`; none when there are no texts. */
export function signalsOf(texts: readonly string[]): SpecKittySignals {
  return texts.length === 0 ? NO_SIGNALS : specKittySignals(texts);
}

/** Every string inside `value` (a tool call's arguments), for pattern matching only. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (typeof value === "object" && value !== null)
    for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/** The signals of several parts of a turn, each command and path once. */
export function mergeSignals(parts: readonly SpecKittySignals[]): SpecKittySignals {
  const nonEmpty = parts.filter((p) => p.commands.length + p.paths.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_SIGNALS;
  const once = <T>(items: T[]) => [
    ...new Map(items.map((item) => [JSON.stringify(item), item])).values(),
  ];
  return {
    commands: once(nonEmpty.flatMap((p) => p.commands)),
    paths: once(nonEmpty.flatMap((p) => p.paths)),
  };
}
