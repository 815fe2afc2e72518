import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import type { InvocationResult } from "../../src/agents/contract.js";
import { eventCost } from "../../src/telemetry/cost.js";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import type { ScriptUsage } from "./model-server/script.js";
import { tempDir } from "./temp-project.js";

/** Where `npm ci` (the root's `prepare`) installs the pinned agent CLIs: test/e2e-agents. */
export const AGENT_BIN = join(import.meta.dirname, "..", "e2e-agents", "node_modules", ".bin");

/** The installed CLI's path, or why an end-to-end test of it has to be skipped. */
export function realAgent(command: "claude" | "codex"): { path: string } | { missing: string } {
  const path = join(AGENT_BIN, command);
  return existsSync(path)
    ? { path }
    : { missing: `${path} is not installed (run npm ci; see test/e2e/README.md)` };
}

/** A temp HOME with a project folder inside; every agent's state stays in it. */
export async function agentSandbox(): Promise<{ home: string; project: string }> {
  const home = await tempDir();
  const project = join(home, "project");
  await mkdir(project);
  return { home, project };
}

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

/**
 * What our cost report estimates for the event the orchestrator records from `result`, its
 * reported cost left out: the number to compare with the agent's own figure.
 */
export async function estimatedUsd(result: InvocationResult): Promise<number> {
  const featureDir = await tempDir();
  const event = await emitExecutionEvent(featureDir, "e2e", "WP01", "claude", "implementer", {
    model: result.model,
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    cacheReadTokens: result.cacheReadTokens,
    cacheWriteTokens: result.cacheWriteTokens,
    reasoningTokens: result.reasoningTokens,
    costUsd: null,
  });
  if (event === undefined) throw new Error("the event could not be recorded");
  const { cost, kind } = eventCost(event, await loadPricingTable(undefined));
  if (kind !== "estimated") throw new Error(`the event's cost is ${kind}, not estimated`);
  // Unrounded: a Haiku share can be a fraction of a micro-dollar.
  return Number(cost) / 1e12;
}

/**
 * Codex against the local server at `url`: a provider of our own in `$CODEX_HOME/config.toml`,
 * so that the command line stays the one our invoker builds.
 */
export async function codexEnv(home: string, url: string) {
  const codexHome = join(home, ".codex");
  await mkdir(codexHome, { recursive: true });
  const config = [
    'model_provider = "e2e"',
    "[model_providers.e2e]",
    'name = "e2e"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    'env_key = "E2E_MODEL_KEY"',
    // One request per failure: the scripted errors are not worth waiting for retries.
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
  ].join("\n");
  await writeFile(join(codexHome, "config.toml"), config);
  return agentEnv(home, { CODEX_HOME: codexHome, E2E_MODEL_KEY: "e2e-test-key" });
}

/** Published prices per million tokens: cache writes 1.25x input for 5 minutes, 2x for an hour. */
export const SONNET = { input: 3, output: 15, cacheRead: 0.3, write5m: 3.75, write1h: 6 };
export const HAIKU = { input: 1, output: 5, cacheRead: 0.1, write5m: 1.25, write1h: 2 };

/** What scripted usage costs at `prices`, by hand. */
export function usd(u: ScriptUsage, prices: typeof SONNET): number {
  const micro =
    u.input * prices.input +
    (u.cacheRead ?? 0) * prices.cacheRead +
    (u.cacheWrite5m ?? 0) * prices.write5m +
    (u.cacheWrite1h ?? 0) * prices.write1h +
    u.output * prices.output;
  return micro / 1e6;
}
