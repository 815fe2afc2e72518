import { join } from "node:path";
import type { RunFilesReader } from "../define-invoker.js";
import { agentHome, isPlainId, namesIn, readJsonLines } from "../run-files.js";
import { modelSetBy } from "./rollout-records.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Without `--model`, Codex's stdout names no model: its rollout
 * `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl` does. Only that file is
 * read, only up to its first model, and only the day folders around the thread id's own time.
 */
export const readCodexRollout: RunFilesReader = async (result, env) => {
  const threadId = result.sessionId;
  if (result.model !== null || threadId === null || !isPlainId(threadId)) return result;
  const sessions = join(agentHome(env, "CODEX_HOME", ".codex"), "sessions");
  const file = await findRollout(sessions, threadId);
  // The model of the turn: `turn_context` (0.40 and later), or the settings event of newer CLIs.
  const records = file === null ? [] : await readJsonLines(file, (r) => modelSetBy(r) !== null);
  const model = modelSetBy(records.at(-1));
  if (model !== null) return { ...result, model };
  const where = file ?? `${sessions} (no rollout of thread ${threadId})`;
  return {
    ...result,
    warnings: [...result.warnings, `Codex named no model, and neither did ${where}`],
  };
};

/** The rollout of `threadId` in the day folders around its time (a UUIDv7's first 48 bits). */
async function findRollout(sessions: string, threadId: string): Promise<string | null> {
  const ms = Number.parseInt(threadId.replaceAll("-", "").slice(0, 12), 16);
  const around = Number.isFinite(ms) ? [ms, ms - DAY_MS, ms + DAY_MS] : [];
  // Folders are named by local date: the day before or after the UTC one covers every zone.
  for (const day of around.map(dayFolder)) {
    const dir = join(sessions, day);
    const name = (await namesIn(dir)).find(
      (n) => n.startsWith("rollout-") && n.endsWith(`-${threadId}.jsonl`),
    );
    if (name !== undefined) return join(dir, name);
  }
  return null;
}

function dayFolder(ms: number): string {
  const iso = new Date(ms).toISOString();
  return join(iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10));
}
