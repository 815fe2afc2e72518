import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { InvocationResult } from "../../src/agents/contract.js";
import { type AgentId, createInvoker } from "../../src/agents/registry.js";
import { type ProcessOutcome, runProcess } from "../../src/orchestrator/executor.js";
import { recordedFields } from "../../src/orchestrator/pipeline.js";
import { type CostKind, eventCost } from "../../src/telemetry/cost.js";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import type { Role } from "../../src/telemetry/execution-payload.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { costReport } from "../../src/telemetry/report.js";
import { AGENT_BIN, agentEnv } from "./agent-env.js";
import type { ScriptUsage } from "./model-server/script.js";
import { tempDir } from "./temp-project.js";

export { AGENT_BIN, agentEnv, claudeEnv } from "./agent-env.js";

/** The installed CLI's path, or why an end-to-end test of it has to be skipped. */
export function realAgent(
  command: "claude" | "codex" | "gemini" | "opencode" | "copilot",
): { path: string } | { missing: string } {
  const path = join(AGENT_BIN, command);
  return existsSync(path)
    ? { path }
    : { missing: `${path} is not installed (run npm ci; see test/e2e/README.md)` };
}

/** A temp HOME with a project folder inside; every agent's state stays in it. */
/**
 * Runs a real agent CLI with the command line our invoker builds for `role`, in `project`,
 * and reads what it printed (and the files its run wrote) with our parser.
 */
export async function runInvoker(
  agent: AgentId,
  run: {
    readonly project: string;
    readonly env: Record<string, string | undefined>;
    readonly model: string | undefined;
    readonly role?: Role;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
  },
): Promise<{ out: ProcessOutcome; result: InvocationResult }> {
  const invoker = createInvoker(agent, { model: run.model, env: run.env });
  const command = invoker.buildCommand("Do the task.", run.project, run.role ?? "implementer");
  const out = await runProcess({
    ...command,
    cwd: run.project,
    env: run.env,
    timeoutMs: run.timeoutMs ?? 45_000,
    killGraceMs: 1000,
    ...(run.signal && { signal: run.signal }),
  });
  const result = await invoker.parseOutput(
    out.stdout,
    out.stderr,
    out.exitCode,
    out.durationSeconds,
  );
  return { out, result };
}

export async function agentSandbox(): Promise<{ home: string; project: string }> {
  const home = await tempDir();
  const project = join(home, "project");
  await mkdir(project);
  return { home, project };
}

/**
 * Keeps a CLI on 127.0.0.1: any other HTTP(S) request goes to a proxy that refuses it (port 9,
 * discard), and an npm install it starts asks our server (a 404 the test can see).
 */
function loopbackOnly(url: string) {
  const dead = "http://127.0.0.1:9";
  return {
    HTTP_PROXY: dead,
    HTTPS_PROXY: dead,
    http_proxy: dead,
    https_proxy: dead,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    npm_config_registry: `${url}/npm/`,
  };
}

/**
 * Gemini CLI against the local server: API-key auth chosen in `~/.gemini/settings.json` (else
 * it exits 41), usage statistics off (they would go to Google).
 */
export async function geminiEnv(home: string, url: string) {
  const dir = join(home, ".gemini");
  await mkdir(dir, { recursive: true });
  const settings = {
    security: { auth: { selectedType: "gemini-api-key" } },
    privacy: { usageStatisticsEnabled: false },
  };
  await writeFile(join(dir, "settings.json"), JSON.stringify(settings));
  return agentEnv(home, {
    ...loopbackOnly(url),
    GEMINI_API_KEY: "e2e-test-key",
    GOOGLE_GEMINI_BASE_URL: url,
  });
}

/** The provider id OpenCode's models are named under (`e2e/gpt-5.1-codex`). */
export const OPENCODE_PROVIDER = "e2e";

/**
 * OpenCode against the local server: a custom provider in the project's `opencode.json` (its
 * `@ai-sdk/openai-compatible` package is built into OpenCode 1.18), the models.dev catalogue
 * not fetched, and `~/.config/opencode` marked as installed so that OpenCode does not npm-install
 * its plugin package there before the first turn.
 */
export async function opencodeEnv(home: string, project: string, url: string, models: string[]) {
  const provider = {
    npm: "@ai-sdk/openai-compatible",
    options: { baseURL: `${url}/v1`, apiKey: "e2e-test-key" },
    models: Object.fromEntries(models.map((m) => [m, { name: m }])),
  };
  await writeFile(
    join(project, "opencode.json"),
    JSON.stringify({ provider: { [OPENCODE_PROVIDER]: provider } }),
  );
  const config = join(home, ".config", "opencode");
  await mkdir(join(config, "node_modules"), { recursive: true });
  // OpenCode skips its install when every dependency is in the lockfile's root package.
  const lock = { packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } };
  await writeFile(join(config, "package-lock.json"), JSON.stringify(lock));
  return agentEnv(home, {
    ...loopbackOnly(url),
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
  });
}

/**
 * Copilot CLI in bring-your-own-key mode against the local server. It masks the key's value
 * wherever it appears in its output, so the key is long and random (a key `x` garbled every
 * word with an x in it). Its native package unpacks ~235 MB on first run: into one folder under
 * node_modules for every run, not into each temp HOME.
 */
export function copilotEnv(home: string, url: string, model: string) {
  return agentEnv(home, {
    ...loopbackOnly(url),
    COPILOT_HOME: join(home, ".copilot"),
    COPILOT_PKG_CACHE_HOME: join(AGENT_BIN, "..", ".cache", "copilot-pkg"),
    COPILOT_OFFLINE: "true",
    COPILOT_AUTO_UPDATE: "false",
    COPILOT_PROVIDER_BASE_URL: `${url}/v1`,
    COPILOT_PROVIDER_API_KEY: randomBytes(24).toString("hex"),
    COPILOT_MODEL: model,
    COPILOT_ALLOW_ALL: "true",
  });
}

/** The event the orchestrator records from a result, priced by the cost report. */
export interface OurCost {
  /** How `eventCost` classes the event (its reported cost left out). */
  readonly kind: CostKind;
  /** The report's estimate in dollars, unrounded (a Haiku share can be a fraction of a micro-dollar). */
  readonly usd: number;
  /** `--group-by model`: each model's estimate in dollars. */
  readonly byModel: Readonly<Record<string, number>>;
  readonly unpricedModels: readonly string[];
  /** The recorded payload, as the Python reader and our reports see it. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Warnings of the emission (e.g. totals that are not the sums of the models). */
  readonly warnings: readonly string[];
}

/**
 * Records `result` as the orchestrator does (`recordedFields`, through `emitExecutionEvent`)
 * into a feature log of a temp project, its reported cost left out (the event's and each
 * model's), and prices it with the cost report and the shipped table: the estimate the
 * acceptance of issue 11 compares with the agent's own figure.
 */
export async function ourCost(
  result: InvocationResult,
  agent: AgentId,
  role: Role = "implementer",
): Promise<OurCost> {
  const repoRoot = await tempDir();
  const feature = "001-e2e";
  const featureDir = join(repoRoot, "kitty-specs", feature);
  await mkdir(featureDir, { recursive: true });
  const warnings: string[] = [];
  const warn = (w: { message: string }) => {
    warnings.push(w.message);
  };
  const unreported = {
    ...result,
    costUsd: null,
    models: result.models.map((m) => ({ ...m, costUsd: null })),
  };
  const event = await emitExecutionEvent(featureDir, feature, "WP01", agent, role, {
    ...recordedFields(unreported),
    warn,
  });
  if (event === undefined)
    throw new Error(`the event could not be recorded: ${warnings.join("; ")}`);
  const pricing = await loadPricingTable(undefined);
  const report = await costReport({ repoRoot, warn }, "model", pricing, { cache: false });
  const byModel = Object.fromEntries(
    report.groups.map((g) => [g.groupKey, Number(g.estimatedCost) / 1e12]),
  );
  const total = report.groups.reduce((sum, g) => sum + g.estimatedCost, 0n);
  // The report's rows and the one event's cost are the same figure (DESIGN §7).
  const single = eventCost(event, pricing);
  if (single.cost !== total) throw new Error(`report ${total} != event ${single.cost}`);
  return {
    kind: single.kind,
    usd: Number(total) / 1e12,
    byModel,
    unpricedModels: report.groups.flatMap((g) => g.unpricedModels),
    payload: event.payload as Record<string, unknown>,
    warnings,
  };
}

/** Our estimate in dollars; throws when the event is not estimated (unpriced, no usage). */
export async function estimatedUsd(result: InvocationResult, agent: AgentId): Promise<number> {
  const { kind, usd } = await ourCost(result, agent);
  if (kind !== "estimated") throw new Error(`the event's cost is ${kind}, not estimated`);
  return usd;
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
/**
 * Gemini 2.5 Pro (up to 200k prompt tokens) and GPT-5.1-Codex, the same list prices; neither API
 * bills a cache write apart, so a write costs input.
 */
export const GEMINI_2_5_PRO = {
  input: 1.25,
  output: 10,
  cacheRead: 0.125,
  write5m: 1.25,
  write1h: 1.25,
};
export const GPT_5_1_CODEX = GEMINI_2_5_PRO;

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
