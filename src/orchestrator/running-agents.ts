import { mkdirSync, rmSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import writeFileAtomic from "write-file-atomic";
import { lazyCompile } from "../events/lazy-compile.js";
import { OrchestratorError } from "./errors.js";
import { isProcessAlive } from "./process-tree.js";

// A pid file per running agent, so that a run started after the orchestrator was killed (kill -9,
// a crash, a closed terminal) sees the agents it left and does not start a second one beside them.

const RunningAgentSchema = Type.Object({
  feature: Type.String(),
  wpId: Type.String(),
  role: Type.String(),
  agent: Type.String(),
  pid: Type.Integer({ minimum: 1 }),
  /** From /proc (ticks after boot): a pid reused by another process is not taken for the agent. */
  startTime: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
});
const RunningAgentFile = lazyCompile(RunningAgentSchema);

/** One agent a run started, as its pid file records it. */
export type RunningAgent = Static<typeof RunningAgentSchema>;

/** Where the pid files of running agents are kept. */
export function runningAgentsDir(projectRoot: string): string {
  return join(projectRoot, ".kittify", "orchestrate", "running");
}

/**
 * Leaves the pid file of an agent that just started; returns its path. Synchronous, so it is on
 * disk before anything else can happen to this process.
 */
export function recordRunningAgent(projectRoot: string, agent: RunningAgent): string {
  const dir = runningAgentsDir(projectRoot);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${agent.feature}--${agent.wpId}--${agent.pid}.json`);
  writeFileAtomic.sync(path, `${JSON.stringify(agent)}\n`);
  return path;
}

/** Removes a pid file once its agent and everything it started are gone. */
export function removeRunningAgent(path: string): void {
  rmSync(path, { force: true });
}

/**
 * The agents of earlier runs on `feature` that still run. Pid files of agents that ended (or
 * whose pid now names another process) are removed; unreadable ones are left alone.
 */
export async function stillRunningAgents(
  projectRoot: string,
  feature: string,
): Promise<RunningAgent[]> {
  const dir = runningAgentsDir(projectRoot);
  const names = await readdir(dir).catch((): string[] => []);
  const running: RunningAgent[] = [];
  for (const name of names.filter((n) => n.startsWith(`${feature}--`) && n.endsWith(".json"))) {
    const path = join(dir, name);
    let data: unknown;
    try {
      data = JSON.parse(await readFile(path, "utf8"));
    } catch {
      continue;
    }
    if (!RunningAgentFile.Check(data) || data.feature !== feature) continue;
    if (isProcessAlive(data.pid, data.startTime)) running.push(data);
    else await rm(path, { force: true });
  }
  return running;
}

/** Refuses to run while an agent of an earlier run still works on the same feature. */
export async function refuseBesideRunningAgents(
  projectRoot: string,
  feature: string,
): Promise<void> {
  const [first, ...more] = await stillRunningAgents(projectRoot, feature);
  if (first === undefined) return;
  const others =
    more.length > 0 ? ` and ${more.length} more (pids ${more.map((a) => a.pid).join(", ")})` : "";
  throw new OrchestratorError(
    "AGENT_STILL_RUNNING",
    `an agent of an earlier run is still running on ${feature}/${first.wpId} (${first.agent} ${first.role}, pid ${first.pid}, started ${first.startedAt})${others}; stop it (kill -TERM -${first.pid}) or wait for it to end, then run again`,
  );
}
