import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importArgv, mainCheckoutOf, parseHookPayload, runHook } from "../../src/cli/hook-run.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

const hooks = (...args: string[]) => ["agent", "telemetry", "hooks", ...args];
const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", name);

/** A spec-kitty project with some of the user's own agent settings in it. */
async function project(files: Record<string, string> = {}): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, "kitty-specs"));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(root, file, ".."), { recursive: true });
    await writeFile(join(root, file), text);
  }
  return root;
}

const USER_CLAUDE_SETTINGS = `{
    "permissions": { "allow": ["Bash(npm test)"] },
    "hooks": {
        "SessionEnd": [{ "matcher": "clear", "hooks": [{ "type": "command", "command": "./notify.sh" }] }],
        "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "./guard.sh" }] }]
    }
}
`;

const json = async (root: string, file: string) =>
  JSON.parse(await readFile(join(root, file), "utf8")) as Record<string, unknown>;

describe("hooks install / uninstall / status", () => {
  it("--help says what each agent offers, and which has no project-level hook (snapshot)", async () => {
    const run = await runSpecKitty(hooks("--help"));
    expect(run.exitCode).toBe(0);
    await expect(run.stdout).toMatchFileSnapshot(snapshot("help-hooks.txt"));
  });

  it("adds Claude Code's SessionEnd hook beside the user's settings and hooks, keeping their indentation", async () => {
    const root = await project({ ".claude/settings.json": USER_CLAUDE_SETTINGS });
    const run = await runSpecKitty(hooks("install", "--agent", "claude"), { cwd: root });
    expect(run).toEqual({
      stdout: "claude  .claude/settings.json  SessionEnd  installed\n",
      stderr: "",
      exitCode: 0,
    });
    const text = await readFile(join(root, ".claude/settings.json"), "utf8");
    expect(text).toContain('\n    "permissions"');
    expect(JSON.parse(text)).toEqual({
      permissions: { allow: ["Bash(npm test)"] },
      hooks: {
        SessionEnd: [
          { matcher: "clear", hooks: [{ type: "command", command: "./notify.sh" }] },
          {
            hooks: [
              {
                type: "command",
                command: "spec-kitty agent telemetry hooks run claude",
                timeout: 60,
              },
            ],
          },
        ],
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./guard.sh" }] }],
      },
    });
  });

  it("installing twice adds one entry; uninstall gives back the user's settings exactly", async () => {
    const root = await project({ ".claude/settings.json": USER_CLAUDE_SETTINGS });
    const before = await json(root, ".claude/settings.json");
    await runSpecKitty(hooks("install"), { cwd: root });
    const once = await readFile(join(root, ".claude/settings.json"), "utf8");
    const again = await runSpecKitty(hooks("install", "--agent", "claude"), { cwd: root });
    expect(again.stdout).toBe("claude  .claude/settings.json  SessionEnd  already installed\n");
    expect(await readFile(join(root, ".claude/settings.json"), "utf8")).toBe(once);
    const removed = await runSpecKitty(hooks("uninstall", "--agent", "claude"), { cwd: root });
    expect(removed.stdout).toBe("claude  .claude/settings.json  SessionEnd  removed\n");
    expect(await json(root, ".claude/settings.json")).toEqual(before);
    const twice = await runSpecKitty(hooks("uninstall", "--agent", "claude"), { cwd: root });
    expect(twice.stdout).toBe("claude  .claude/settings.json  SessionEnd  not installed\n");
  });

  it("removes our hook from a group the user added hooks to, and only ours", async () => {
    const ours = { type: "command", command: "spec-kitty agent telemetry hooks run gemini" };
    const theirs = { type: "command", command: "./save.sh" };
    const settings = { hooks: { SessionEnd: [{ hooks: [theirs, ours] }] }, ui: { theme: "dark" } };
    const root = await project({ ".gemini/settings.json": JSON.stringify(settings) });
    await runSpecKitty(hooks("uninstall", "--agent", "gemini"), { cwd: root });
    expect(await json(root, ".gemini/settings.json")).toEqual({
      hooks: { SessionEnd: [{ hooks: [theirs] }] },
      ui: { theme: "dark" },
    });
  });

  it("install, status and uninstall of every agent on an empty project (snapshot)", async () => {
    const root = await project();
    const install = await runSpecKitty(hooks("install"), { cwd: root });
    const status = await runSpecKitty(hooks("status"), { cwd: root });
    const plugin = await readFile(join(root, ".opencode/plugin/spec-kitty-telemetry.js"), "utf8");
    const uninstall = await runSpecKitty(hooks("uninstall"), { cwd: root });
    const after = await runSpecKitty(hooks("status"), { cwd: root });
    const text = [install, status, uninstall, after].map(
      (r) => `${r.stdout}--- exit ${r.exitCode}\n`,
    );
    await expect(text.join("")).toMatchFileSnapshot(snapshot("hooks-install-status-uninstall.txt"));
    expect(plugin).toContain('const COMMAND = "spec-kitty agent telemetry hooks run opencode";');
    // The settings files we created hold nothing else once our hook is gone.
    expect(await json(root, ".claude/settings.json")).toEqual({});
    await expect(stat(join(root, ".opencode/plugin/spec-kitty-telemetry.js"))).rejects.toThrow();
  });

  it.each([
    [".claude/settings.json", "claude", '{ "hooks": { "SessionEnd": [ }', "not valid JSON"],
    [".gemini/settings.json", "gemini", "[1, 2]", "not a JSON object"],
    [
      ".codex/hooks.json",
      "codex",
      '{ "hooks": { "SessionEnd": {} } }',
      '"hooks.SessionEnd" is not a list',
    ],
    [".claude/settings.json", "claude", '{ "hooks": [] }', '"hooks" is not an object'],
  ])(
    "a malformed %s (%s) is one clear error naming the file, and is left untouched",
    async (file, agent, text, why) => {
      const root = await project({ [file]: text });
      const run = await runSpecKitty(hooks("install", "--agent", agent), { cwd: root });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(
          `^spec-kitty: ${file.replace(".", "\\.")}: .*${why.replace(/[.[\]{}]/g, "\\$&")}.*left unchanged\\n$`,
        ),
      );
      expect(await readFile(join(root, file), "utf8")).toBe(text);
    },
  );

  it("a file of ours-only kind that someone else wrote is neither overwritten nor removed", async () => {
    const theirs = '{ "version": 1, "hooks": {} }\n';
    const root = await project({ ".github/hooks/spec-kitty-telemetry.json": theirs });
    for (const action of ["install", "uninstall"]) {
      const run = await runSpecKitty(hooks(action, "--agent", "copilot"), { cwd: root });
      expect(run.stderr).toContain("was not written by spec-kitty; left unchanged");
      expect(run.exitCode).toBe(1);
    }
    expect(await readFile(join(root, ".github/hooks/spec-kitty-telemetry.json"), "utf8")).toBe(
      theirs,
    );
  });

  it.each([
    ["cursor", "cursor has no project-level hook: Cursor keeps no usage on disk"],
    ["claude,vim", 'unknown agent "vim"'],
  ])("--agent %s is refused with the reason", async (agents, message) => {
    const root = await project();
    const run = await runSpecKitty(hooks("install", "--agent", agents), { cwd: root });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(message);
  });

  it("writes nothing outside the project: a settings folder linked elsewhere is refused", async () => {
    const root = await project();
    const elsewhere = await tempDir();
    const { symlink } = await import("node:fs/promises");
    await symlink(elsewhere, join(root, ".claude"));
    const run = await runSpecKitty(hooks("install", "--agent", "claude"), { cwd: root });
    expect(run.exitCode).toBe(1);
    await expect(stat(join(elsewhere, "settings.json"))).rejects.toThrow();
  });
});

// Hook inputs as each agent sends them: Claude Code's (the e2e test checks it against the real
// CLI), Codex 0.171's `session-end.command.input` schema and Gemini CLI 0.61's `createBaseInput`
// (both read in their installed packages), our OpenCode plugin's and Copilot's documented one.
const PAYLOADS: [string, string, string | undefined, string | undefined][] = [
  [
    "claude",
    '{"session_id":"2f9c0d4e-5b1a-4c7e-9f3d-8a6b2c1e0f47","transcript_path":"/h/.claude/projects/-r/2f9c0d4e-5b1a-4c7e-9f3d-8a6b2c1e0f47.jsonl","cwd":"/r","hook_event_name":"SessionEnd","reason":"other"}',
    "2f9c0d4e-5b1a-4c7e-9f3d-8a6b2c1e0f47",
    "/r",
  ],
  [
    "codex",
    '{"session_id":"019a1b2c-3d4e-7f60-8a9b-0c1d2e3f4a5b","transcript_path":null,"cwd":"/r/.worktrees/010-x-WP03","hook_event_name":"SessionEnd","reason":"other"}',
    "019a1b2c-3d4e-7f60-8a9b-0c1d2e3f4a5b",
    "/r/.worktrees/010-x-WP03",
  ],
  [
    "gemini",
    '{"session_id":"c0ffee00-1111-2222-3333-444455556666","transcript_path":"","cwd":"/r","hook_event_name":"SessionEnd","timestamp":"2026-11-30T12:00:00.000Z","reason":"exit"}',
    "c0ffee00-1111-2222-3333-444455556666",
    "/r",
  ],
  [
    "opencode",
    '{"session_id":"ses_4f1a","cwd":"/r","hook_event_name":"session.idle"}',
    "ses_4f1a",
    "/r",
  ],
  ["copilot", '{"timestamp":1764504000000,"cwd":"/r","reason":"complete"}', undefined, "/r"],
  ["claude", "", undefined, undefined],
];

describe("hooks run: the seam to the import", () => {
  it.each(PAYLOADS)("%s: reads the session and folder of %s", (_agent, text, sessionId, cwd) => {
    expect(parseHookPayload(text)).toEqual({ sessionId, cwd });
  });

  it.each([
    ["not json", "the hook's input is not JSON"],
    ['{"session_id": 42}', "the hook's input is not a JSON object with string fields"],
    ["[1]", "the hook's input is not a JSON object with string fields"],
  ])("input %s: %s", (text, problem) => {
    expect(parseHookPayload(text)).toBe(problem);
  });

  it.each([
    ["/r/.worktrees/010-x-WP03/src", "/r"],
    ["/r/.worktrees/010-x-WP03", "/r"],
    ["/r/src", "/r/src"],
  ])("the main checkout of %s is %s", (dir, main) => {
    expect(mainCheckoutOf(dir)).toBe(main);
  });

  it.each([
    ["claude", "abc", ["--agent", "claude", "--ended-session", "abc", "--repo", "/r"]],
    ["copilot", undefined, ["--agent", "copilot", "--repo", "/r"]],
  ])("%s with session %s: the import's arguments", (agent, id, tail) => {
    expect(importArgv(agent, id, "/r")).toEqual(["agent", "telemetry", "import", ...tail]);
  });

  it("runs the import of the hook's session in the project of its folder (a worktree's: the main checkout), its output on stderr", async () => {
    const root = await project();
    await mkdir(join(root, ".worktrees", "010-x-WP03", "kitty-specs"), { recursive: true });
    const calls: (readonly string[])[] = [];
    let out = "";
    let err = "";
    const stdin = JSON.stringify({
      session_id: "s-1",
      cwd: join(root, ".worktrees", "010-x-WP03"),
    });
    await runHook(
      "claude",
      {
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          err += t;
        },
        cwd: "/",
        env: {},
        stdin: async () => stdin,
      },
      async (args, io) => {
        calls.push(args);
        io.stdout("imported 3 turns\n");
        return 0;
      },
    );
    expect(calls).toEqual([importArgv("claude", "s-1", root)]);
    expect({ out, err }).toEqual({ out: "", err: "imported 3 turns\n" });
  });

  it("an import that fails: a line on stderr, exit 0", async () => {
    const root = await project();
    let err = "";
    await runHook(
      "claude",
      {
        stdout: () => {},
        stderr: (t) => {
          err += t;
        },
        cwd: root,
        env: {},
        stdin: async () => "{}",
      },
      async () => 1,
    );
    expect(err).toBe(
      "spec-kitty hooks run claude: the import exited with 1; run it by hand to see why\n",
    );
  });

  it("input that is not JSON: a line on stderr, the import all the same, exit 0", async () => {
    const root = await project();
    const run = await runSpecKitty(hooks("run", "claude"), { cwd: root, stdin: "{" });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(
      "spec-kitty hooks run claude: the hook's input is not JSON; importing without a session id\n",
    );
    expect(run.stderr).toContain("Nothing new to import.");
  });

  it("outside any project: a line on stderr, exit 0", async () => {
    const dir = await tempDir();
    const run = await runSpecKitty(hooks("run", "codex"), { cwd: dir, stdin: "" });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^spec-kitty hooks run codex: not inside a spec-kitty project/);
  });
});
