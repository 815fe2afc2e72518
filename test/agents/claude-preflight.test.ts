import { describe, expect, it } from "vitest";
import { rootRefusal } from "../../src/agents/claude/preflight.js";
import { AGENT_IDS, createInvoker, isAgentId } from "../../src/agents/registry.js";
import {
  checkAgentsInstalled,
  type OrchestrationPlan,
} from "../../src/orchestrator/orchestrate.js";

describe("Claude Code's root refusal, known before it starts", () => {
  it.each([
    ["implementer", 0, undefined, true],
    ["implementer", 0, "", true],
    ["implementer", 0, "true", true],
    ["implementer", 0, "1", false],
    ["implementer", 1000, undefined, false],
    ["implementer", undefined, undefined, false],
    ["reviewer", 0, undefined, false],
  ] as const)("%s as uid %s with IS_SANDBOX=%s: refused %s", (role, uid, sandbox, refused) => {
    const problem = rootRefusal(role, { IS_SANDBOX: sandbox }, uid);
    expect(problem === null).toBe(!refused);
    if (refused) expect(problem).toContain("set IS_SANDBOX=1");
  });

  it("is the Claude invoker's preflight, which reads the invoker's env; no other agent has one", () => {
    const asRoot = process.getuid?.() === 0;
    const claude = createInvoker("claude", { env: {} });
    expect(claude.preflight?.("implementer") !== null).toBe(asRoot);
    expect(createInvoker("claude", { env: { IS_SANDBOX: "1" } }).preflight?.("implementer")).toBe(
      null,
    );
    const others = AGENT_IDS.filter((id) => id !== "claude").filter(isAgentId);
    expect(others.map((id) => createInvoker(id).preflight)).toEqual(others.map(() => undefined));
  });

  it("stops the orchestrator with AGENT_CANNOT_RUN, naming the fix", async () => {
    const refusing = { ...createInvoker("claude"), isInstalled: async () => true };
    const plan = {
      implementer: { ...refusing, preflight: () => "no root here" },
      reviewer: { ...refusing, preflight: () => null },
      fallback: null,
    } as unknown as OrchestrationPlan;
    await expect(checkAgentsInstalled(plan)).rejects.toMatchObject({
      code: "AGENT_CANNOT_RUN",
      message: "no root here",
    });
  });
});
