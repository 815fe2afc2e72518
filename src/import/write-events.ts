import { join } from "node:path";
import { type EmitInvocation, emitExecutionEvents } from "../telemetry/emit.js";
import { FEATURES_FOLDER } from "../telemetry/features.js";
import type { WarningSink } from "../telemetry/warnings.js";

/** An event the import means to write: its feature, its derived id and what it records. */
export interface PlannedEvent {
  readonly feature: string;
  readonly eventId: string;
  readonly invocation: EmitInvocation;
}

export type WriteResult = "written" | "present" | "failed";

/**
 * Writes the planned events, one batch per feature (one lock, one write, one id check each:
 * an import of thousands of turns must not scan a log per event). Per event: written, already
 * stored (in `storedIds` or found by the store), or failed (warned). A dry run writes nothing
 * and reports as written what it would write.
 */
export async function writeEvents(
  root: string,
  planned: readonly PlannedEvent[],
  storedIds: ReadonlySet<string>,
  dryRun: boolean,
  warn: WarningSink,
): Promise<WriteResult[]> {
  const results: WriteResult[] = planned.map((p) =>
    storedIds.has(p.eventId) ? "present" : "written",
  );
  if (dryRun) return results;
  const byFeature = new Map<string, number[]>();
  for (const [i, p] of planned.entries()) {
    if (results[i] === "present") continue;
    const list = byFeature.get(p.feature);
    if (list === undefined) byFeature.set(p.feature, [i]);
    else list.push(i);
  }
  for (const [feature, indexes] of byFeature) {
    const invocations = indexes.map((i) => (planned[i] as PlannedEvent).invocation);
    const saved = await emitExecutionEvents(
      join(root, FEATURES_FOLDER, feature),
      feature,
      invocations,
      warn,
    );
    for (const [k, i] of indexes.entries()) {
      const event = saved[k];
      results[i] = event === undefined ? "failed" : event === null ? "present" : "written";
    }
  }
  return results;
}
