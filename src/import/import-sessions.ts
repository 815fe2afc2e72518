import type { AgentEnv } from "../agents/define-invoker.js";
import type {
  SessionCall,
  SessionLogReader,
  SessionProblemSink,
  SessionTurn,
  SessionUnit,
} from "../agents/session-logs.js";
import { SESSION_READERS } from "../agents/session-readers.js";
import { stderrWarningSink, type WarningSink } from "../telemetry/warnings.js";
import { attributeCall, signalTarget, type Target } from "./attribution.js";
import { ownCalls, type ReadTurn } from "./call-dedup.js";
import { importEventId } from "./event-id.js";
import {
  type AgentImportState,
  agentState,
  type ImportState,
  loadImportState,
  saveImportState,
  shortHash,
} from "./import-state.js";
import { type AgentImportSummary, agentSummary, type ImportSummary } from "./import-summary.js";
import { mergeTurns } from "./merge-turns.js";
import { type ProjectFacts, projectFacts, UNATTRIBUTED_FEATURE } from "./project-facts.js";
import { roleOf } from "./roles.js";
import { type StoredEvents, storedEvents } from "./stored-events.js";
import { usageOf } from "./turn-usage.js";
import { type PlannedEvent, writeEvents } from "./write-events.js";

/** How long a unit must have been quiet before its open last turn is imported: 10 minutes. */
export const DEFAULT_QUIET_MS = 10 * 60 * 1000;

export interface ImportOptions {
  /** The project root (holding kitty-specs/). */
  readonly root: string;
  /** The agents to import; default every agent with a session-log reader. */
  readonly agents?: readonly string[] | undefined;
  /** Folders or files to read instead of each reader's defaults. */
  readonly sources?: readonly string[] | undefined;
  /** Only turns that started at or after this moment. */
  readonly since?: Date | null | undefined;
  /** Read and count everything, write nothing (no event, no state). */
  readonly dryRun?: boolean | undefined;
  /** Sessions a hook says have ended: their open last turn is imported now. */
  readonly endedSessions?: readonly string[] | undefined;
  /** Where the readers find their agents' homes; default the process environment. */
  readonly env?: AgentEnv | undefined;
  /** Now, in epoch milliseconds; default the system clock. */
  readonly now?: (() => number) | undefined;
  readonly quietMs?: number | undefined;
  /** Readers by agent; default SESSION_READERS (tests give their own). */
  readonly readers?: Readonly<Record<string, SessionLogReader | undefined>> | undefined;
  /** Where warnings of the logs read or written go; default stderr. */
  readonly warn?: WarningSink | undefined;
}

/** What one import run shares across agents; the project is read only when a turn needs it. */
interface Run {
  readonly options: ImportOptions;
  readonly root: string;
  readonly dryRun: boolean;
  readonly now: number;
  readonly quietMs: number;
  readonly since: number | null;
  readonly ended: ReadonlySet<string>;
  readonly warn: WarningSink;
  readonly warnings: string[];
  facts(): Promise<ProjectFacts>;
  stored(): Promise<StoredEvents>;
}

/**
 * Imports the usage in the agents' own session logs into the project's logs: one
 * ExecutionEvent per turn and feature/work package its calls were made for (see
 * `attributeCall`), each call counted once, turns of sessions `orchestrate` recorded skipped,
 * every event id derived from the turn so that nothing is ever added twice. Never throws for
 * what it reads: a reader's problems are counted in the summary.
 */
export async function importSessions(options: ImportOptions): Promise<ImportSummary> {
  const readers: Readonly<Record<string, SessionLogReader | undefined>> =
    options.readers ?? SESSION_READERS;
  const asked = options.agents ?? Object.keys(readers).sort();
  const warn = options.warn ?? stderrWarningSink;
  const loaded = await loadImportState(options.root);
  const summary: ImportSummary = {
    root: options.root,
    dryRun: options.dryRun ?? false,
    agents: [],
    unsupported: asked.filter((agent) => readers[agent] === undefined),
    warnings: loaded.problem === null ? [] : [loaded.problem],
  };
  const run: Run = {
    options,
    root: options.root,
    dryRun: summary.dryRun,
    now: (options.now ?? Date.now)(),
    quietMs: options.quietMs ?? DEFAULT_QUIET_MS,
    since: options.since == null ? null : options.since.getTime(),
    ended: new Set(options.endedSessions ?? []),
    warn,
    warnings: summary.warnings,
    facts: once(() => projectFacts(options.root, warn)),
    stored: once(() => storedEvents(options.root, warn)),
  };
  for (const agent of asked) {
    const reader = readers[agent];
    if (reader === undefined) continue;
    summary.agents.push(await importAgent(run, reader, agentState(loaded.state, agent)));
  }
  // Nothing read, nothing to note: an import with nothing new writes nothing either.
  const read = summary.agents.some((a) => a.units.read > 0);
  if (!run.dryRun && (read || loaded.problem !== null)) await saveState(run, loaded.state);
  return summary;
}

async function saveState(run: Run, state: ImportState): Promise<void> {
  try {
    await saveImportState(run.root, state);
  } catch (e) {
    run.warnings.push(
      `the import state could not be saved (${describe(e)}); the next import reads everything again`,
    );
  }
}

async function importAgent(
  run: Run,
  reader: SessionLogReader,
  state: AgentImportState,
): Promise<AgentImportSummary> {
  const env = run.options.env ?? process.env;
  const sources = run.options.sources ?? reader.defaultSources(env);
  const { summary, problems } = agentSummary(reader.agent, sources);
  summary.retentionDays = (await reader.retentionDays?.(env).catch(() => null)) ?? null;
  const units = await discover(reader, sources, problems);
  const toRead = units.filter((unit) => {
    const known = state.units[unit.id];
    const unchanged = known !== undefined && known.stamp === unit.stamp && !known.pending;
    if (unchanged) summary.units.skipped++;
    return !unchanged;
  });
  const turns: ReadTurn[] = [];
  for (const unit of toRead) {
    summary.units.read++;
    for (const turn of await readUnit(reader, unit, problems))
      turns.push({ unitIds: [unit.id], turn });
  }
  const pending = new Set<string>();
  const whole = mergeTurns(turns);
  const calls = ownCalls(whole, state.calls);
  const imported = new Set(Object.values(state.calls));
  const byId = new Map(toRead.map((u) => [u.id, u]));
  const plans: TurnPlan[] = [];
  for (const [i, { unitIds, turn }] of whole.entries()) {
    // A turn is quiet when every unit it was read from is.
    const lastWriteMs = Math.max(...unitIds.map((id) => byId.get(id)?.lastWriteMs ?? 0));
    const context = { unitIds, lastWriteMs, imported };
    const plan = await planTurn(run, reader.agent, context, turn, calls[i] ?? [], state, summary);
    if (plan === "pending") for (const id of unitIds) pending.add(id);
    else if (plan !== "done") plans.push(plan);
  }
  const planned = plans.flatMap((p) => p.events);
  // The project's logs are read only when there is something to write.
  const results =
    planned.length === 0
      ? []
      : await writeEvents(run.root, planned, (await run.stored()).ids, run.dryRun, run.warn);
  let at = 0;
  for (const plan of plans) {
    const outcomes = results.slice(at, at + plan.events.length);
    for (const [k, outcome] of outcomes.entries()) {
      if (outcome === "written") counted(summary, (plan.events[k] as PlannedEvent).feature);
    }
    at += plan.events.length;
    const failed = outcomes.includes("failed");
    if (outcomes.includes("written")) summary.turns.imported++;
    else if (!failed) summary.turns.present++;
    if (failed) for (const id of plan.unitIds) pending.add(id);
    else claim(run, state, plan.calls, plan.turnHash);
  }
  if (!run.dryRun) {
    for (const unit of toRead) {
      state.units[unit.id] = { stamp: unit.stamp, pending: pending.has(unit.id) };
    }
  }
  return summary;
}

function counted(summary: AgentImportSummary, feature: string): void {
  summary.events++;
  summary.eventsByFeature[feature] = (summary.eventsByFeature[feature] ?? 0) + 1;
  if (feature === UNATTRIBUTED_FEATURE) summary.unattributed++;
}

/** What a turn's units say: which they are, their last write, the turns imported before. */
interface TurnContext {
  readonly unitIds: readonly string[];
  readonly lastWriteMs: number;
  /** Hashes of the turns that earlier imports recorded calls of. */
  readonly imported: ReadonlySet<string>;
}

/** A turn with events to write, and the calls it claims once they are written. */
interface TurnPlan {
  readonly unitIds: readonly string[];
  readonly turnHash: string;
  readonly calls: readonly SessionCall[];
  readonly events: readonly PlannedEvent[];
}

/**
 * What to do with a turn: leave it for a later import (`pending`), nothing more (`done`: counted
 * here), or write its events. A turn's calls are grouped by where they belong, one event each.
 */
async function planTurn(
  run: Run,
  agent: string,
  context: TurnContext,
  turn: SessionTurn,
  calls: readonly SessionCall[],
  state: AgentImportState,
  summary: AgentImportSummary,
): Promise<TurnPlan | "pending" | "done"> {
  const turns = summary.turns;
  if (run.since !== null && Date.parse(turn.startedAt) < run.since) {
    turns.beforeSince++;
    return "pending";
  }
  const quiet = run.now - context.lastWriteMs >= run.quietMs;
  if (!turn.closed && !quiet && !run.ended.has(turn.sessionId)) {
    turns.open++;
    return "pending";
  }
  if (calls.length === 0) {
    turns.empty++;
    return "done";
  }
  const turnHash = shortHash(turn.turnId);
  const fresh = (c: SessionCall) => state.calls[shortHash(c.key)] !== turnHash;
  if (!calls.some(fresh)) {
    turns.present++;
    return "done";
  }
  const stored = await run.stored();
  if (stored.recordedSessions.get(agent)?.has(turn.sessionId)) {
    turns.orchestrated++;
    claim(run, state, calls, turnHash);
    return "done";
  }
  const groups = await placeCalls(run, turn, calls, summary);
  if (groups.length === 0) {
    turns.outside++;
    return "done";
  }
  const events: PlannedEvent[] = [];
  const importedBefore = context.imported.has(turnHash);
  for (const group of groups) {
    const mine = group.calls.filter(fresh);
    if (mine.length === 0) continue;
    const target = `${group.target.feature}/${group.target.wpId}`;
    const stored = (await run.stored()).ids.has(importEventId(agent, turn.turnId, target));
    // The turn's event for this target is stored: what it did since (a permission prompt
    // answered after the quiet time, a sub-agent's rollout written later) is a continuation
    // event with an id from those calls, when the state says which calls were counted; without
    // the state, the stored event is taken to hold them all.
    if (stored && !importedBefore) continue;
    const continued = stored || mine.length < group.calls.length;
    const idTarget = continued
      ? `${target}+${shortHash(mine.map((c) => c.key).join("\0"))}`
      : target;
    const wholeTurn = groups.length === 1 && !continued;
    events.push(plannedEvent(agent, turn, group.target, mine, idTarget, wholeTurn));
  }
  if (events.length === 0) {
    turns.present++;
    claim(run, state, calls, turnHash);
    return "done";
  }
  return { unitIds: context.unitIds, turnHash, calls, events };
}

interface Group {
  readonly target: Target;
  readonly calls: SessionCall[];
}

/** The turn's calls by where they belong; calls of another project are counted and left. */
async function placeCalls(
  run: Run,
  turn: SessionTurn,
  calls: readonly SessionCall[],
  summary: AgentImportSummary,
): Promise<Group[]> {
  const facts = await run.facts();
  const turnTarget = signalTarget(turn.signals, facts);
  const groups = new Map<string, Group>();
  for (const call of calls) {
    const target = await attributeCall(call, turnTarget, facts);
    if (target === null) {
      summary.callsOutside++;
      continue;
    }
    const key = `${target.feature}/${target.wpId}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { target, calls: [call] });
    else group.calls.push(call);
  }
  return [...groups.values()];
}

/** The event of a turn's calls for one target; its id derives from the turn and `idTarget`. */
function plannedEvent(
  agent: string,
  turn: SessionTurn,
  target: Target,
  calls: readonly SessionCall[],
  idTarget: string,
  wholeTurn: boolean,
): PlannedEvent {
  const eventId = importEventId(agent, turn.turnId, idTarget);
  return {
    feature: target.feature,
    eventId,
    invocation: {
      wpId: target.wpId,
      agent,
      role: roleOf(turn.signals),
      options: {
        ...usageOf(calls),
        source: "import",
        attribution: target.attribution,
        sessionId: turn.sessionId,
        eventId,
        timestamp: turn.startedAt,
        durationMs: wholeTurn ? span(turn.startedAt, turn.endedAt) : callSpan(calls),
        nodeId: `import:${agent}`,
      },
    },
  };
}

function claim(
  run: Run,
  state: AgentImportState,
  calls: readonly SessionCall[],
  turnHash: string,
): void {
  if (run.dryRun) return;
  for (const call of calls) state.calls[shortHash(call.key)] = turnHash;
}

/** Milliseconds from `from` to `to` (0 when either is unknown or they are reversed). */
function span(from: string, to: string): number {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The time from a group's first call to its last, for a turn split across targets. */
function callSpan(calls: readonly SessionCall[]): number {
  const times = calls.map((c) => Date.parse(c.timestamp)).filter((t) => !Number.isNaN(t));
  return times.length === 0 ? 0 : Math.max(...times) - Math.min(...times);
}

async function discover(
  reader: SessionLogReader,
  sources: readonly string[],
  problems: SessionProblemSink,
): Promise<SessionUnit[]> {
  const units: SessionUnit[] = [];
  try {
    for await (const unit of reader.discover(sources, problems)) units.push(unit);
  } catch (e) {
    problems.report("unreadable", sources.join(", "), describe(e));
  }
  return units;
}

async function readUnit(
  reader: SessionLogReader,
  unit: SessionUnit,
  problems: SessionProblemSink,
): Promise<SessionTurn[]> {
  const turns: SessionTurn[] = [];
  try {
    for await (const turn of reader.read(unit, problems)) turns.push(turn);
  } catch (e) {
    problems.report("unreadable", unit.id, describe(e));
  }
  return turns;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
