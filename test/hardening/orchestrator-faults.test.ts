import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeStep, installFakeAgents } from "../support/fake-agents.js";
import { isRunning, startTsChild, stillRunning, waitFor } from "../support/processes.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

// The battery's "orchestrator faults": signals, orphans, process trees that outlive the agent,
// hostile work package ids. Every agent here is the fake one (test/support/fake-agents.ts).

const FEATURE = "001-demo";
const REPO = join(import.meta.dirname, "..", "..");
const MAIN = join(REPO, "src", "cli", "main.ts");
// Streams usage, then hangs: what an agent interrupted mid-run has printed (and billed).
const MID_RUN = "claude/stream-json-assistant-line.v2.1.4.json";
const SUCCESS = "claude/stream-json-basic.v2.1.7.jsonl";
const APPROVE: FakeStep = { fixture: SUCCESS, replace: ["4", "VERDICT: APPROVED"] };

/** Process groups a test started; killed afterwards whatever the test did. */
const leftovers: number[] = [];
afterEach(() => {
  // Never 0 or less: kill(0) and kill(-1) would hit the test runner itself.
  for (const pid of leftovers.splice(0).filter((p) => p > 0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // Already gone: what the test wanted.
      }
    }
  }
});

async function project(ids: readonly string[] = ["WP01"]) {
  const root = await tempDir();
  const tasks = join(root, "kitty-specs", FEATURE, "tasks");
  await mkdir(tasks, { recursive: true });
  for (const id of ids) {
    await writeFile(
      join(tasks, `${id}-task.md`),
      `---\nwork_package_id: ${id}\ntitle: Task ${id}\n---\n# Task\n\nDo ${id}.\n`,
    );
  }
  return root;
}

const events = async (root: string) =>
  (
    await readFile(join(root, "kitty-specs", FEATURE, "execution.events.jsonl"), "utf8").catch(
      () => "",
    )
  )
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { payload: Record<string, unknown> });

const runState = async (root: string): Promise<unknown> =>
  JSON.parse(await readFile(join(root, ".kittify", "orchestrate", `${FEATURE}.json`), "utf8"));

const pidFiles = (root: string) =>
  readdir(join(root, ".kittify", "orchestrate", "running")).catch((): string[] => []);

/** `spec-kitty orchestrate` from the sources in a child process, to be signalled. */
function orchestrateChild(root: string, env: Record<string, string>, flags: readonly string[]) {
  // From the repo, where tsx is found; --repo names the project.
  const run = startTsChild(MAIN, ["orchestrate", "--feature", FEATURE, "--repo", root, ...flags], {
    cwd: REPO,
    env: { ...env, HOME: root, NO_COLOR: "1", TZ: "UTC" },
  });
  if (run.child.pid !== undefined) leftovers.push(run.child.pid);
  return run;
}

/** The agents of a run and their grandchildren, once `count` agents have started. */
async function started(
  calls: () => Promise<{ pid: number; grandchild: number | null }[]>,
  count: number,
) {
  await waitFor(`${count} agent(s) to start`, async () => (await calls()).length >= count);
  const all = await calls();
  for (const call of all) leftovers.push(call.pid, ...(call.grandchild ? [call.grandchild] : []));
  return all;
}

describe("orchestrate, interrupted", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "on %s stops every agent's process group within the grace, records each interrupted invocation, keeps the run resumable and exits %i",
    async (signal, code) => {
      const root = await project(["WP01", "WP02"]);
      const fakes = await installFakeAgents(root, [
        {
          agent: "claude",
          match: ["Implement"],
          steps: [{ fixture: MID_RUN, hang: true, grandchild: true }],
        },
      ]);
      const run = orchestrateChild(root, fakes.env, ["--concurrency", "2", "--kill-grace", "0.3"]);
      const calls = await started(fakes.calls, 2);
      // The agent has printed its usage before it hangs: let it reach us.
      await new Promise((r) => setTimeout(r, 300));
      run.child.kill(signal);
      const exit = await run.done;
      const pids = calls.flatMap((c) => [c.pid, c.grandchild ?? 0]);
      const alive = await Promise.all(pids.map((pid) => stillRunning(pid)));
      expect({
        exitCode: exit.exitCode,
        stderr: exit.stderr.split("\n").at(-2),
        alive,
        events: (await events(root))
          .map((e) => ({
            wp: String(e.payload.wp_id),
            success: e.payload.success,
            error: e.payload.error,
            input: e.payload.input_tokens,
            cacheRead: e.payload.cache_read_tokens,
          }))
          .toSorted((a, b) => a.wp.localeCompare(b.wp)),
        state: await runState(root),
        pidFiles: await pidFiles(root),
      }).toEqual({
        exitCode: code,
        stderr: `spec-kitty: interrupted by ${signal}: 2 of 2 work packages not finished (WP01, WP02); run the same command again to resume`,
        alive: [false, false, false, false],
        // The usage streamed before the signal was billed: it is recorded.
        events: ["WP01", "WP02"].map((wp) => ({
          wp,
          success: false,
          error: `interrupted by ${signal}; the agent was stopped`,
          input: 10,
          cacheRead: 17254,
        })),
        state: {
          feature: FEATURE,
          workPackages: {
            WP01: { outcome: "interrupted", attempts: 1, updatedAt: expect.any(String) },
            WP02: { outcome: "interrupted", attempts: 1, updatedAt: expect.any(String) },
          },
        },
        pidFiles: [],
      });
    },
  );

  it("refuses to start beside an agent an earlier run left running (orchestrate killed -9), then resumes once it is gone", async () => {
    const root = await project();
    const fakes = await installFakeAgents(root, [
      { agent: "claude", match: ["Implement"], steps: [{ fixture: MID_RUN, hang: true }] },
      { agent: "claude", match: ["Review"], steps: [APPROVE] },
    ]);
    const first = orchestrateChild(root, fakes.env, []);
    const [orphan] = await started(fakes.calls, 1);
    first.child.kill("SIGKILL");
    await first.done;
    const orphanPid = orphan?.pid ?? 0;
    const refused = await runSpecKitty(["orchestrate", "--feature", FEATURE, "--timeout", "1"], {
      cwd: root,
      env: fakes.env,
    });
    const refusal = {
      exitCode: refused.exitCode,
      stderr: refused.stderr,
      calls: (await fakes.calls()).length,
      orphanAlive: isRunning(orphanPid),
    };
    process.kill(-orphanPid, "SIGKILL");
    await waitFor("the orphan to die", async () => !isRunning(orphanPid));
    const resumed = await runSpecKitty(["orchestrate", "--feature", FEATURE, "--timeout", "1"], {
      cwd: root,
      env: fakes.env,
    });
    expect({ refusal, resumed: resumed.exitCode, calls: (await fakes.calls()).length }).toEqual({
      refusal: {
        exitCode: 1,
        stderr: expect.stringMatching(
          new RegExp(
            `^spec-kitty: an agent of an earlier run is still running on ${FEATURE}/WP01 \\(claude implementer, pid ${orphanPid}, started .*\\); stop it \\(kill -TERM -${orphanPid}\\) or wait for it to end, then run again\\n$`,
          ),
        ),
        calls: 1,
        orphanAlive: true,
      },
      // The stale pid file is cleared; the hanging implementer times out this time.
      resumed: 1,
      calls: 2,
    });
  });
});

describe("orchestrate, an agent's process tree", () => {
  it.each([
    [
      "a detached grandchild holding stdout for 4 s: the run ends with the agent, a success",
      { fixture: SUCCESS, detached: { holdStdout: true, lifetimeMs: 4000 } },
      { exitCode: 0, success: true, error: null },
    ],
    [
      "a daemon holding stdout that never exits: the run ends, a success",
      { fixture: SUCCESS, detached: { holdStdout: true, lifetimeMs: null } },
      { exitCode: 0, success: true, error: null },
    ],
    [
      "a setsid() grandchild of an agent that times out: killed with it",
      { fixture: MID_RUN, hang: true, detached: { holdStdout: false, lifetimeMs: null } },
      { exitCode: 1, success: false, error: "timed out after 2s; the agent was killed" },
    ],
  ] satisfies [string, FakeStep, object][])(
    "%s, and no process is left",
    async (_name, step, expected) => {
      const root = await project();
      const fakes = await installFakeAgents(root, [
        { agent: "claude", match: ["Implement"], steps: [step] },
        { agent: "claude", match: ["Review"], steps: [APPROVE] },
      ]);
      const run = await runSpecKitty(
        ["orchestrate", "--feature", FEATURE, "--timeout", "2", "--kill-grace", "0.3"],
        { cwd: root, env: fakes.env },
      );
      const [call] = await fakes.calls();
      const [event] = await events(root);
      leftovers.push(call?.grandchild ?? 0);
      expect({
        exitCode: run.exitCode,
        success: event?.payload.success,
        error: event?.payload.error,
        agentAlive: await stillRunning(call?.pid ?? 0),
        grandchildAlive: await stillRunning(call?.grandchild ?? 0),
      }).toEqual({ ...expected, agentAlive: false, grandchildAlive: false });
    },
    30_000,
  );
});

describe("orchestrate, hostile work package ids", () => {
  it.each([
    // .worktrees/001-demo-<id> normalised: the temp folder beside the project.
    ["../../../../OUT"],
    ["WP01/../../../OUT"],
    ["..\\OUT"],
    [".hidden"],
    ["WP01\nWP02"],
  ])("refuses work_package_id %j before any agent runs", async (id) => {
    const root = await project();
    // A folder the id would lead to, outside the project.
    const outside = await tempDir();
    await mkdir(join(root, ".worktrees"), { recursive: true });
    const tasks = join(root, "kitty-specs", FEATURE, "tasks");
    await writeFile(
      join(tasks, "WP01-task.md"),
      `---\nwork_package_id: ${JSON.stringify(id.replace("OUT", basename(outside)))}\n---\nDo it.\n`,
    );
    const fakes = await installFakeAgents(root, [
      { agent: "claude", match: ["Implement"], steps: [{ fixture: SUCCESS }] },
      { agent: "claude", match: ["Review"], steps: [APPROVE] },
    ]);
    const run = await runSpecKitty(["orchestrate", "--feature", FEATURE], {
      cwd: root,
      env: fakes.env,
    });
    expect({
      exitCode: run.exitCode,
      stderr: run.stderr,
      calls: (await fakes.calls()).length,
    }).toEqual({
      exitCode: 1,
      stderr: expect.stringMatching(
        /^spec-kitty: kitty-specs\/001-demo\/tasks\/WP01-task\.md: work_package_id must be letters, digits, "\.", "_" or "-", starting with a letter or digit \(at most 64\), e\.g\. WP01\n$/,
      ),
      calls: 0,
    });
  });
});

describe("the process checks these tests rely on", () => {
  it.each([[0], [-1], [Number.NaN], [1.5]])(
    "isRunning(%s) throws: no pid is not a dead pid",
    (pid) => {
      expect(() => isRunning(pid)).toThrow(/not a process id/);
    },
  );

  it("a zombie counts as not running", async () => {
    // The parent forks a child that exits at once and never waits for it: a zombie. (A shell
    // may reap a background job before it execs, which made this flaky.)
    const parent = spawn(
      "python3",
      [
        "-c",
        "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    leftovers.push(parent.pid ?? 0);
    const line = await new Promise<string>((resolve) =>
      parent.stdout.once("data", (d: Buffer) => resolve(String(d))),
    );
    const zombie = Number(line.trim());
    await waitFor("the child to be a zombie", async () => {
      const stat = await readFile(`/proc/${zombie}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    });
    expect(isRunning(zombie)).toBe(false);
  });
});
