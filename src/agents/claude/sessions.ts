import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { AgentEnv } from "../define-invoker.js";
import type { SessionLogReader } from "../session-logs.js";
import { claudeConfigDirs, discoverSessions, filesOf } from "./session-files.js";
import { sessionTurns } from "./session-turns.js";

/** Claude Code deletes transcripts older than this many days unless its settings say otherwise. */
const DEFAULT_CLEANUP_DAYS = 30;

const Settings = lazyCompile(
  Type.Object({ cleanupPeriodDays: Type.Optional(Type.Integer({ minimum: 0 })) }),
);

/**
 * Claude Code's own session logs (`<config>/projects/<cwd>/<session>.jsonl` and its sub-agents'
 * files): one turn per prompt, one call per API response (message id + request id), sub-agents'
 * calls in the turn that started them. See ARCHITECTURE.md for what is read and why.
 */
export const claudeSessions: SessionLogReader = {
  agent: "claude",
  defaultSources: (env: AgentEnv) => claudeConfigDirs(env).map((dir) => join(dir, "projects")),
  async *discover(sources, problems) {
    yield* await discoverSessions(sources, problems);
  },
  read: (unit, problems) => sessionTurns(filesOf(unit), problems),
  retentionDays: async (env: AgentEnv) => {
    // The shortest period of the folders read: that one deletes first.
    let days: number | null = null;
    for (const dir of claudeConfigDirs(env)) {
      const period = await cleanupPeriod(join(dir, "settings.json"));
      if (period !== undefined) days = Math.min(days ?? period, period);
    }
    return days ?? DEFAULT_CLEANUP_DAYS;
  },
};

/** `cleanupPeriodDays` of a settings file; undefined when the file or the setting is missing. */
async function cleanupPeriod(path: string): Promise<number | undefined> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return undefined;
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Settings.Check(settings) ? settings.cleanupPeriodDays : undefined;
}
