import { claudeSessions } from "./claude/sessions.js";
import type { AgentId } from "./registry.js";
import type { SessionLogReader } from "./session-logs.js";

/**
 * The agents whose own session logs can be imported, each reader in its agent's folder. Cursor
 * keeps no usage on disk, so it has none.
 */
export const SESSION_READERS: Partial<Record<AgentId, SessionLogReader>> = {
  claude: claudeSessions,
};
