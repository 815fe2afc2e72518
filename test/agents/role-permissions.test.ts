import { describe, expect, it } from "vitest";
import { AGENT_IDS, createInvoker, isAgentId } from "../../src/agents/registry.js";

// What each role may do (the README's table): a reviewer reads, an implementer is not asked.
const FLAGS = {
  claude: {
    implementer: ["--permission-mode", "bypassPermissions"],
    reviewer: ["--permission-mode", "plan"],
  },
  codex: { implementer: ["--sandbox", "workspace-write"], reviewer: ["--sandbox", "read-only"] },
  gemini: { implementer: ["--approval-mode", "yolo"], reviewer: ["--approval-mode", "plan"] },
  opencode: { implementer: ["--auto"], reviewer: [] },
  copilot: {
    implementer: ["--allow-all-tools"],
    reviewer: ["--allow-all-tools", "--deny-tool", "write", "--deny-tool", "shell"],
  },
  cursor: { implementer: ["--force"], reviewer: ["--mode", "ask"] },
} as const;

// Flags that let an agent write or run anything without asking.
const WRITE_ALL = ["bypassPermissions", "workspace-write", "yolo", "--auto", "--force", "--yolo"];

const permissionFlags = (args: readonly string[]) =>
  args.filter((a, i) => {
    const flag = /^--(permission-mode|sandbox|approval-mode|mode|deny-tool)$/;
    return (
      /^--(auto|force|yolo|allow-all-tools|allow-all)$/.test(a) ||
      flag.test(a) ||
      flag.test(args[i - 1] ?? "")
    );
  });

describe("agent permissions per role", () => {
  it.each(
    AGENT_IDS.filter(isAgentId).flatMap((agent) =>
      (["implementer", "reviewer"] as const).map((role) => [agent, role] as const),
    ),
  )("%s as %s gets exactly the README's permission flags", (agent, role) => {
    const { args } = createInvoker(agent).buildCommand("the prompt", "/tmp", role);
    expect(permissionFlags(args)).toEqual(FLAGS[agent][role]);
  });

  it.each(AGENT_IDS.filter(isAgentId))("the %s reviewer gets no write-all flag", (agent) => {
    const { args } = createInvoker(agent).buildCommand("the prompt", "/tmp", "reviewer");
    expect(args.filter((a) => WRITE_ALL.includes(a))).toEqual([]);
  });
});
