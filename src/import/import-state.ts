import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../events/lazy-compile.js";
import { stringRecord } from "../events/string-record.js";
import { createHash } from "../telemetry/node-crypto.js";
import { openForRead, replaceFile } from "../telemetry/project-paths.js";

/** Where the import keeps what it has read, under the project's `.kittify/`. */
export const IMPORT_STATE_FILE = join(".kittify", "import-state.json");

const UnitState = Type.Object({
  stamp: Type.String(),
  /** Whether the unit still has turns to import later (open, or before an earlier --since). */
  pending: Type.Boolean(),
});

const AgentState = Type.Object({
  units: stringRecord(UnitState),
  /** Hash of a call key -> hash of the turn that imported it: the call belongs to that turn. */
  calls: stringRecord(Type.String()),
});

const StateSchema = Type.Object({
  version: Type.Literal(1),
  agents: stringRecord(AgentState),
});
const StateFile = lazyCompile(StateSchema);

export type AgentImportState = Static<typeof AgentState>;
export type ImportState = Static<typeof StateSchema>;

/** A fresh, empty state. */
export function emptyState(): ImportState {
  return { version: 1, agents: {} };
}

/** The agent's part of `state`, made when missing. */
export function agentState(state: ImportState, agent: string): AgentImportState {
  let found = state.agents[agent];
  if (found === undefined) {
    found = { units: {}, calls: {} };
    state.agents[agent] = found;
  }
  return found;
}

/** A short stable hash, so that a state with many calls stays small and holds no ids as such. */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

/**
 * The state saved by the last import; an empty one when there is none, and when it cannot be
 * read or is not valid (then with the reason, for one warning: losing it only costs a full read).
 */
export async function loadImportState(
  root: string,
): Promise<{ state: ImportState; problem: string | null }> {
  const path = join(root, IMPORT_STATE_FILE);
  try {
    const handle = await openForRead(path, root);
    if (handle === null) return { state: emptyState(), problem: null };
    let text: string;
    try {
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
    const data: unknown = JSON.parse(text);
    if (!StateFile.Check(data)) {
      return { state: emptyState(), problem: `${path} is not a valid import state; ignored` };
    }
    return { state: data, problem: null };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { state: emptyState(), problem: `${path} could not be read (${reason}); ignored` };
  }
}

/** Writes `state` atomically (a temp file renamed over the old one). */
export async function saveImportState(root: string, state: ImportState): Promise<void> {
  await mkdir(join(root, ".kittify"), { recursive: true });
  await replaceFile(join(root, IMPORT_STATE_FILE), `${JSON.stringify(state)}\n`, root);
}
