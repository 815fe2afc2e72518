import { delimiter, dirname, join } from "node:path";

// The real agents' environments, apart from real-agents.ts so that scripts (which run outside
// vitest) can use them too: scripts/make-claude-session-fixtures.ts.

/** Where `npm ci` (the root's `prepare`) installs the pinned agent CLIs: test/e2e-agents. */
export const AGENT_BIN = join(import.meta.dirname, "..", "e2e-agents", "node_modules", ".bin");

/**
 * The environment of a real CLI: nothing from ours but PATH (the agent bin first, then node's),
 * so that no real credential or config of the machine reaches it.
 */
export function agentEnv(home: string, extra: Readonly<Record<string, string>>) {
  return {
    PATH: [AGENT_BIN, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(
      delimiter,
    ),
    HOME: home,
    TMPDIR: home,
    LANG: "C.UTF-8",
    ...extra,
  };
}

/** Claude Code against the local server at `url`, its config and session logs under `home`. */
export function claudeEnv(home: string, url: string, extra: Readonly<Record<string, string>> = {}) {
  return agentEnv(home, {
    CLAUDE_CONFIG_DIR: join(home, ".claude"),
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: "e2e-test-key",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    // Root (containers, CI) may not use bypassPermissions unless the CLI is told it is sandboxed.
    ...(process.getuid?.() === 0 && { IS_SANDBOX: "1" }),
    ...extra,
  });
}
