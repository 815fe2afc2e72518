import { claudeSessions } from "./claude/sessions.js";
import { codexSessionReader } from "./codex/sessions.js";
import { copilotSessionReader } from "./copilot/sessions.js";
import { geminiSessionReader } from "./gemini/sessions.js";
import { opencodeSessionReader } from "./opencode/sessions.js";
import type { AgentId } from "./registry.js";
import type { SessionLogReader } from "./session-logs.js";

/**
 * The agents whose own session logs can be imported, each reader in its agent's folder. Cursor
 * keeps no usage on disk, so it has none.
 */
export const SESSION_READERS: Partial<Record<AgentId, SessionLogReader>> = {
  claude: claudeSessions,
  codex: codexSessionReader,
  gemini: geminiSessionReader,
  opencode: opencodeSessionReader,
  copilot: copilotSessionReader,
};
