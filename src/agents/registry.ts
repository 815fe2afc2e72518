import { createClaudeInvoker } from "./claude/invoker.js";
import { createCodexInvoker } from "./codex/invoker.js";
import type { AgentInvoker, InvokerOptions } from "./contract.js";
import { createCopilotInvoker } from "./copilot/invoker.js";
import { createCursorInvoker } from "./cursor/invoker.js";
import { createGeminiInvoker } from "./gemini/invoker.js";
import { createOpencodeInvoker } from "./opencode/invoker.js";

/** Every agent the orchestrator can run; adding one is a file in this folder and a line here. */
export const AGENTS = {
  claude: createClaudeInvoker,
  codex: createCodexInvoker,
  gemini: createGeminiInvoker,
  opencode: createOpencodeInvoker,
  copilot: createCopilotInvoker,
  cursor: createCursorInvoker,
} as const satisfies Record<string, (options?: InvokerOptions) => AgentInvoker>;

export type AgentId = keyof typeof AGENTS;

/** The agent ids, in the registry's order. */
export const AGENT_IDS = Object.keys(AGENTS) as readonly string[];

/** Whether `id` names an agent the orchestrator can run. */
export function isAgentId(id: string): id is AgentId {
  return Object.hasOwn(AGENTS, id);
}

/** The invoker of agent `id`, set up with `options`. */
export function createInvoker(id: AgentId, options: InvokerOptions = {}): AgentInvoker {
  return AGENTS[id](options);
}
