import { basename } from "node:path";
import type {
  SessionCall,
  SessionProblemKind,
  SessionProblemSink,
  SessionTurn,
  SpecKittySignals,
} from "../session-logs.js";
import { NO_SIGNALS, specKittySignals } from "../spec-kitty-signals.js";
import type { ApiUsageShape } from "./api-usage.js";
import { largestUsage } from "./api-usage.js";
import { forEachLine, lineChunks, type RawLine } from "./log-lines.js";
import {
  type AssistantLine,
  classify,
  isNewerVersion,
  toolInputs,
  type UserLine,
  userText,
} from "./log-records.js";
import { callKey, SYNTHETIC_MODEL } from "./session-log.js";

/** A session's files: its main log (absent when only its sub-agents are left) and sub-agents. */
export interface SessionFiles {
  readonly main: string | null;
  readonly subagents: readonly string[];
}

/** The most single problems reported per file; the rest are summed up in one report. */
const MAX_REPORTS_PER_FILE = 20;

// `<command-name>/spec-kitty.implement</command-name>` + `<command-args>WP02</command-args>`:
// how Claude Code logs a slash command the user typed.
const COMMAND_NAME = /<command-name>([^<]*)<\/command-name>/;
const COMMAND_ARGS = /<command-args>([^<]*)<\/command-args>/;
// User lines that are not prompts: an interruption, a local command's or shell's output.
const NOT_A_PROMPT = /^\s*(?:\[Request interrupted|<local-command-std|<bash-std)/;

interface CallAcc {
  readonly key: string;
  readonly timestamp: string;
  readonly model: string;
  readonly cwd: string | null;
  readonly gitBranch: string | null;
  readonly subagent: boolean;
  readonly usages: ApiUsageShape[];
}

/** Signals gathered text by text, so that no text is held. */
class SignalSet {
  private readonly commands = new Map<string, SpecKittySignals["commands"][number]>();
  private readonly paths = new Map<string, SpecKittySignals["paths"][number]>();

  add(texts: readonly string[]): void {
    if (texts.length === 0) return;
    this.merge(specKittySignals(texts));
  }

  merge(signals: SpecKittySignals): void {
    for (const c of signals.commands) this.commands.set(JSON.stringify(c), c);
    for (const p of signals.paths) this.paths.set(JSON.stringify(p), p);
  }

  result(): SpecKittySignals {
    if (this.commands.size === 0 && this.paths.size === 0) return NO_SIGNALS;
    return { commands: [...this.commands.values()], paths: [...this.paths.values()] };
  }
}

/** A sub-agent's file, read whole: its calls wait for the parent's turn they belong to. */
interface SubAgent {
  readonly agentId: string;
  /** The parent prompt's id, which Claude Code 2.1 copies onto the sub-agent's lines. */
  promptId: string | null;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  /** Its first line's uuid: the turn id when no turn of the parent claims it. */
  firstUuid: string | null;
  sessionId: string | null;
  readonly calls: Map<string, CallAcc>;
  readonly signals: SignalSet;
  attached: boolean;
}

interface OpenTurn {
  readonly turnId: string;
  readonly sessionId: string;
  readonly promptId: string | null;
  readonly startedAt: string;
  endedAt: string;
  readonly calls: Map<string, CallAcc>;
  readonly signals: SignalSet;
  /** Sub-agents named by this turn's Task results. */
  readonly agents: Set<string>;
  /** The session wrote its end (`last-prompt`) after this turn's last record. */
  ended: boolean;
}

/** Reports a file's problems, at most MAX_REPORTS_PER_FILE one by one. */
class FileProblems {
  private count = 0;
  private readonly unknown = new Map<string, { lines: number; first: number }>();
  private newer: string | null = null;
  private checked: string | null = null;

  private readonly sink: SessionProblemSink;
  private readonly path: string;

  constructor(sink: SessionProblemSink, path: string) {
    this.sink = sink;
    this.path = path;
  }

  line(kind: SessionProblemKind, line: number, detail: string): void {
    this.count++;
    if (this.count <= MAX_REPORTS_PER_FILE) this.sink.report(kind, `${this.path}:${line}`, detail);
  }

  unknownType(type: string, line: number): void {
    const seen = this.unknown.get(type) ?? { lines: 0, first: line };
    seen.lines++;
    this.unknown.set(type, seen);
  }

  version(version: string | undefined): void {
    // Every line of a session carries the same few versions: each is checked once.
    if (version === undefined || version === this.checked) return;
    this.checked = version;
    if (this.newer === null && isNewerVersion(version)) this.newer = version;
  }

  /** The summed-up reports, once the file is read. */
  finish(): void {
    if (this.count > MAX_REPORTS_PER_FILE) {
      const more = this.count - MAX_REPORTS_PER_FILE;
      this.sink.report("bad-line", this.path, `${more} more bad lines were skipped`);
    }
    for (const [type, { lines, first }] of this.unknown) {
      this.sink.report(
        "unknown-record",
        `${this.path}:${first}`,
        `${lines} line(s) of unknown record type "${type}" skipped`,
      );
    }
    if (this.newer !== null) {
      this.sink.report(
        "newer-format",
        this.path,
        `written by Claude Code ${this.newer}, newer than the 2.1 format this reader knows; read as 2.1`,
      );
    }
  }
}

/** Reads a line and reports what it could not use; null for a line of no interest. */
function usable(raw: RawLine, problems: FileProblems) {
  const line = classify(raw);
  switch (line.kind) {
    case "truncated":
      problems.line(
        "truncated-line",
        raw.number,
        "the last line is cut off (still being written?)",
      );
      return null;
    case "bad":
      problems.line("bad-line", raw.number, line.detail);
      return null;
    case "unknown":
      problems.unknownType(line.type, raw.number);
      return null;
    case "assistant":
    case "user":
      problems.version(line.record.version);
      return line;
    default:
      return line;
  }
}

/** The call an assistant line is part of; null for Claude Code's own made-up replies. */
function callOf(record: AssistantLine, subagent: boolean): CallAcc | null {
  if (record.message.model === SYNTHETIC_MODEL) return null;
  return {
    key: callKey(record.message.id, record.requestId),
    timestamp: record.timestamp,
    model: record.message.model,
    cwd: record.cwd || null,
    gitBranch: record.gitBranch || null,
    subagent: subagent || record.isSidechain === true,
    usages: [],
  };
}

function addLine(calls: Map<string, CallAcc>, record: AssistantLine, call: CallAcc): void {
  const acc = calls.get(call.key) ?? call;
  acc.usages.push(record.message.usage);
  calls.set(call.key, acc);
}

const later = (a: string, b: string) => (b > a ? b : a);

async function readSubAgent(path: string, sink: SessionProblemSink): Promise<SubAgent> {
  const name = basename(path, ".jsonl");
  const agent: SubAgent = {
    agentId: name.startsWith("agent-") ? name.slice("agent-".length) : name,
    promptId: null,
    firstTimestamp: null,
    lastTimestamp: null,
    firstUuid: null,
    sessionId: null,
    calls: new Map(),
    signals: new SignalSet(),
    attached: false,
  };
  const problems = new FileProblems(sink, path);
  const seen = (timestamp: string, uuid: string | undefined, sessionId: string | undefined) => {
    agent.firstTimestamp ??= timestamp;
    agent.lastTimestamp = later(agent.lastTimestamp ?? timestamp, timestamp);
    agent.firstUuid ??= uuid ?? null;
    agent.sessionId ??= sessionId ?? null;
  };
  await forEachLine(path, (raw) => {
    const line = usable(raw, problems);
    if (line?.kind === "user") {
      agent.promptId ??= line.record.promptId ?? null;
      seen(line.record.timestamp, line.record.uuid, line.record.sessionId);
    } else if (line?.kind === "assistant") {
      const call = callOf(line.record, true);
      seen(line.record.timestamp, line.record.uuid, line.record.sessionId);
      if (call === null) return;
      addLine(agent.calls, line.record, call);
      agent.signals.add(toolInputs(line.record.message.content));
    }
  }).catch((error: unknown) => {
    sink.report("unreadable", path, messageOf(error));
  });
  problems.finish();
  return agent;
}

function finishCalls(calls: Map<string, CallAcc>, into: SessionCall[], done: Set<string>): void {
  for (const acc of calls.values()) {
    if (done.has(acc.key)) continue;
    done.add(acc.key);
    into.push({
      key: acc.key,
      timestamp: acc.timestamp,
      model: acc.model,
      usage: largestUsage(acc.usages),
      costUsd: null,
      cwd: acc.cwd,
      gitBranch: acc.gitBranch,
      subagent: acc.subagent,
    });
  }
}

/**
 * The turns of one session: its main log streamed line by line, its sub-agents' calls joined to
 * the turn that started them (the prompt id they share, the Task result that names them, else
 * the time they started). Sub-agents no turn claims make turns of their own. Never rejects.
 */
export async function* sessionTurns(
  files: SessionFiles,
  sink: SessionProblemSink,
): AsyncGenerator<SessionTurn> {
  const agents: SubAgent[] = [];
  for (const path of files.subagents) agents.push(await readSubAgent(path, sink));
  const done = new Set<string>();
  const ready: SessionTurn[] = [];

  const close = (turn: OpenTurn, next: string | null) => {
    for (const agent of agents) {
      if (agent.attached || !claims(turn, next, agent)) continue;
      agent.attached = true;
      for (const [key, call] of agent.calls) if (!turn.calls.has(key)) turn.calls.set(key, call);
      turn.signals.merge(agent.signals.result());
      if (agent.lastTimestamp !== null) turn.endedAt = later(turn.endedAt, agent.lastTimestamp);
    }
    const calls: SessionCall[] = [];
    finishCalls(turn.calls, calls, done);
    if (calls.length === 0) return;
    ready.push({
      turnId: turn.turnId,
      sessionId: turn.sessionId,
      startedAt: turn.startedAt,
      endedAt: turn.endedAt,
      closed: next !== null || turn.ended,
      signals: turn.signals.result(),
      calls,
    });
  };

  if (files.main !== null) {
    const path = files.main;
    const problems = new FileProblems(sink, path);
    const fallbackSession = basename(path, ".jsonl");
    let turn: OpenTurn | null = null;
    const start = (record: UserLine | AssistantLine, promptId: string | null): OpenTurn => {
      if (turn !== null) close(turn, record.timestamp);
      turn = {
        turnId: record.uuid ?? `${fallbackSession}:${record.timestamp}`,
        sessionId: record.sessionId ?? fallbackSession,
        promptId,
        startedAt: record.timestamp,
        endedAt: record.timestamp,
        calls: new Map(),
        signals: new SignalSet(),
        agents: new Set(),
        ended: false,
      };
      return turn;
    };
    const onLine = (raw: RawLine) => {
      const line = usable(raw, problems);
      if (line === null) return;
      const current = turn as OpenTurn | null;
      switch (line.kind) {
        case "user": {
          const { record } = line;
          const texts = userText(record.message.content);
          if (isPrompt(record, texts, current)) {
            start(record, record.promptId ?? null).signals.add(promptTexts(texts));
          } else if (current !== null) {
            current.signals.add(promptTexts(texts));
            current.endedAt = later(current.endedAt, record.timestamp);
            current.ended = false;
          }
          return;
        }
        case "assistant": {
          const { record } = line;
          const call = callOf(record, false);
          if (call === null || done.has(call.key)) return;
          // Calls before any prompt (a log that begins mid-session) make a turn of their own.
          const into = current ?? start(record, null);
          addLine(into.calls, record, call);
          into.signals.add(toolInputs(record.message.content));
          into.endedAt = later(into.endedAt, record.timestamp);
          into.ended = false;
          return;
        }
        case "tool-result":
          if (current !== null && line.agentId !== null) current.agents.add(line.agentId);
          return;
        case "other":
          if (line.type === "last-prompt" && current !== null) current.ended = true;
          return;
      }
    };
    try {
      // Turns are handed on chunk by chunk: a gigabyte log is never held.
      for await (const _ of lineChunks(path, onLine)) yield* ready.splice(0);
    } catch (error) {
      sink.report("unreadable", path, messageOf(error));
    }
    if (turn !== null) close(turn, null);
    problems.finish();
  }
  // What no turn of the main log claimed (or a session whose main log is gone).
  for (const agent of agents) {
    if (agent.attached || agent.calls.size === 0) continue;
    const calls: SessionCall[] = [];
    finishCalls(agent.calls, calls, done);
    if (calls.length === 0) continue;
    ready.push({
      turnId: agent.firstUuid ?? `agent-${agent.agentId}`,
      sessionId: agent.sessionId ?? "",
      startedAt: agent.firstTimestamp ?? calls[0]?.timestamp ?? "",
      endedAt: agent.lastTimestamp ?? calls[0]?.timestamp ?? "",
      closed: true,
      signals: agent.signals.result(),
      calls,
    });
  }
  yield* ready.splice(0);
}

/** Whether `agent` ran in `turn` (the next turn starting at `next`). */
function claims(turn: OpenTurn, next: string | null, agent: SubAgent): boolean {
  if (agent.promptId !== null && turn.promptId !== null) return agent.promptId === turn.promptId;
  if (turn.agents.has(agent.agentId)) return true;
  const at = agent.firstTimestamp;
  return at !== null && at >= turn.startedAt && (next === null || at < next);
}

/** A prompt the user gave: a new turn, unless it is part of the current one. */
function isPrompt(record: UserLine, texts: readonly string[], current: OpenTurn | null): boolean {
  if (record.isMeta === true || record.isSidechain === true || record.isCompactSummary === true) {
    return false;
  }
  if (current !== null && record.promptId !== undefined && record.promptId === current.promptId) {
    return false;
  }
  const first = texts[0];
  return first !== undefined && !NOT_A_PROMPT.test(first);
}

/** The texts of a prompt, a slash command also as typed (`/spec-kitty.implement WP02`). */
function promptTexts(texts: readonly string[]): string[] {
  return texts.map((text) => {
    const name = COMMAND_NAME.exec(text)?.[1];
    return name === undefined ? text : `${name} ${COMMAND_ARGS.exec(text)?.[1] ?? ""}`;
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
