import type { SkippedLines } from "../event-line.js";
import { UsageRows } from "../usage-rows.js";

/** What a scan of (part of) one log found: its usage rows and its line statistics. */
export class LogTally implements SkippedLines {
  readonly rows = new UsageRows();
  /** Lines read, blank ones included (line numbers count them). */
  lines = 0;
  /** Lines that are not valid events. */
  skipped = 0;
  /** The first of them, numbered from the start of the part read. */
  firstSkipped: { line: number; reason: string } | null = null;
  /** Valid lines whose event id an earlier line already had. */
  duplicates = 0;

  /** Adds the tally of the part that follows this one in the file. */
  append(next: LogTally): void {
    this.rows.merge(next.rows);
    if (this.firstSkipped === null && next.firstSkipped !== null) {
      this.firstSkipped = {
        line: this.lines + next.firstSkipped.line,
        reason: next.firstSkipped.reason,
      };
    }
    this.lines += next.lines;
    this.skipped += next.skipped;
    this.duplicates += next.duplicates;
  }

  /**
   * With `packed`, the rows go as `UsageRows.toPacked()` writes them (none may have a period): a
   * worker's reply is then a few flat arrays, not an array and eight strings per row, and the
   * receiving thread keeps them packed (it only saves them and sums them up).
   */
  toJSON(packed = false): LogTallyJson {
    return {
      rows: packed ? this.rows.toPacked() : this.rows.toJSON(),
      lines: this.lines,
      skipped: this.skipped,
      first_skipped: this.firstSkipped,
      duplicates: this.duplicates,
    };
  }

  /** A tally from `toJSON()`'s output (a worker's message); null when malformed. */
  static fromJSON(value: unknown): LogTally | null {
    if (typeof value !== "object" || value === null) return null;
    const v = value as Partial<Record<keyof LogTallyJson, unknown>>;
    const count = (c: unknown): c is number => Number.isSafeInteger(c) && (c as number) >= 0;
    if (!count(v.lines) || !count(v.skipped) || !count(v.duplicates)) return null;
    const first = v.first_skipped as { line?: unknown; reason?: unknown } | null | undefined;
    if (first !== null && !(count(first?.line) && typeof first?.reason === "string")) return null;
    const tally = new LogTally();
    const rows = Array.isArray(v.rows) ? tally.rows.addJSON(v.rows) : tally.rows.addPacked(v.rows);
    if (!rows) return null;
    tally.lines = v.lines;
    tally.skipped = v.skipped;
    tally.duplicates = v.duplicates;
    tally.firstSkipped =
      first === null ? null : { line: first.line as number, reason: first.reason as string };
    return tally;
  }
}

export interface LogTallyJson {
  readonly rows: unknown;
  readonly lines: number;
  readonly skipped: number;
  readonly first_skipped: { readonly line: number; readonly reason: string } | null;
  readonly duplicates: number;
}
