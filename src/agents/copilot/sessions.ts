import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import * as Type from "typebox/type";
import { parse as parseYaml } from "yaml";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { RequestUsage } from "../contract.js";
import type { AgentEnv } from "../define-invoker.js";
import { streamJsonLines } from "../jsonl-stream.js";
import { agentHome } from "../run-files.js";
import type {
  SessionCall,
  SessionLogReader,
  SessionProblemSink,
  SessionTurn,
  SessionUnit,
  SpecKittySignals,
} from "../session-logs.js";
import {
  entriesIn,
  filesStamp,
  isDirectory,
  isoTime,
  mergeSignals,
  signalsOf,
  stringsIn,
} from "../session-units.js";
import { callUsageOf, normaliseCopilot, Shutdown } from "./session-state.js";

/** The newest `session.start` format version this reader knows. */
const KNOWN_VERSION = 1;

const Event = lazyCompile(
  Type.Object({
    type: Type.String(),
    id: Type.Optional(Type.String()),
    timestamp: Type.Optional(Type.String()),
    data: Type.Optional(Type.Unknown()),
  }),
);
const Context = Type.Object({
  cwd: Type.Optional(Type.String()),
  branch: Type.Optional(Type.String()),
});
// `session.start` and `session.resume`: where the process ran (a resume may be elsewhere).
const StartData = lazyCompile(
  Type.Object({
    sessionId: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer()),
    context: Type.Optional(Context),
  }),
);
const UserMessage = lazyCompile(
  Type.Object({ content: Type.Optional(Type.String()), messageId: Type.Optional(Type.String()) }),
);
const ToolRequests = lazyCompile(
  Type.Object({
    toolRequests: Type.Array(Type.Object({ arguments: Type.Optional(Type.Unknown()) })),
  }),
);
const ToolStart = lazyCompile(Type.Object({ arguments: Type.Unknown() }));
const Workspace = lazyCompile(
  Type.Object({ cwd: Type.Optional(Type.String()), branch: Type.Optional(Type.String()) }),
);

/**
 * Copilot CLI keeps `$COPILOT_HOME/session-state/<id>/events.jsonl` (default `~/.copilot`) and
 * `workspace.yaml` beside it. Usage is counted from one channel only: a `session.usage_record`
 * per model call (1.0.10x); a file without any falls back to `session.shutdown`'s per-model sums,
 * one share per process run (later shutdowns that repeat the earlier sums count their growth
 * only). `assistant.message`'s output tokens, OpenTelemetry exports and `session-store.db` are
 * never added to these. cwd and branch come from the latest `session.start`/`session.resume`,
 * else `workspace.yaml`.
 */
export const copilotSessionReader: SessionLogReader = {
  agent: "copilot",
  defaultSources: (env: AgentEnv) => [agentHome(env, "COPILOT_HOME", ".copilot")],
  discover: discoverCopilot,
  read: readCopilot,
};

async function* discoverCopilot(
  sources: readonly string[],
  _problems: SessionProblemSink,
): AsyncIterable<SessionUnit> {
  for (const source of sources) {
    for (const file of await eventFiles(source)) {
      const files = [file, join(dirname(file), "workspace.yaml")];
      yield { id: file, files, ...(await filesStamp(files)) };
    }
  }
}

/** The `events.jsonl` files under a Copilot home, its `session-state`, or one session folder. */
async function eventFiles(source: string): Promise<string[]> {
  if (!(await isDirectory(source))) return basename(source).endsWith(".jsonl") ? [source] : [];
  if (!(await isDirectory(join(source, "session-state")))) {
    if (await isDirectory(join(source, "events.jsonl"))) return [];
    const own = await entriesIn(source, (n) => n === "events.jsonl");
    if (own.length > 0) return own;
  }
  const state = (await isDirectory(join(source, "session-state")))
    ? join(source, "session-state")
    : source;
  const files: string[] = [];
  for (const folder of await entriesIn(state, () => true)) {
    files.push(...(await entriesIn(folder, (n) => n === "events.jsonl")));
  }
  return files;
}

interface Open {
  readonly turnId: string;
  readonly startedAt: string;
  endedAt: string;
  readonly signals: SpecKittySignals[];
  readonly calls: SessionCall[];
  closed: boolean;
}

async function* readCopilot(
  unit: SessionUnit,
  problems: SessionProblemSink,
): AsyncIterable<SessionTurn> {
  const [file, workspaceFile] = unit.files;
  if (file === undefined) return;
  const workspace = workspaceFile === undefined ? null : await readWorkspace(workspaceFile);
  let sessionId = basename(dirname(file));
  let cwd = workspace?.cwd ?? null;
  let branch = workspace?.branch ?? null;
  const turns: Open[] = [];
  const shutdowns: {
    id: string;
    at: string;
    cumulative: boolean;
    usage: Map<string, RequestUsage>;
  }[] = [];
  let usageRecords = 0;
  const current = (at: string): Open => {
    let turn = turns.at(-1);
    if (turn === undefined) {
      // Usage before any prompt (a file whose prompt line is gone): a turn of its own.
      turn = {
        turnId: `${sessionId}/${at}`,
        startedAt: at,
        endedAt: at,
        signals: [],
        calls: [],
        closed: false,
      };
      turns.push(turn);
    }
    return turn;
  };
  for await (const { record, line } of streamJsonLines(file, problems)) {
    if (!Event.Check(record)) {
      problems.report("unknown-record", `${file}:${line}`, "an event without a type");
      continue;
    }
    const at = isoTime(record.timestamp) ?? "";
    const eventId = record.id ?? String(line);
    const data = record.data;
    switch (record.type) {
      case "session.start":
      case "session.resume":
        if (StartData.Check(data)) {
          if (record.type === "session.start" && data.sessionId) sessionId = data.sessionId;
          if ((data.version ?? KNOWN_VERSION) > KNOWN_VERSION)
            problems.report(
              "newer-format",
              `${file}:${line}`,
              `session format version ${data.version}`,
            );
          cwd = data.context?.cwd ?? cwd;
          branch = data.context?.branch ?? branch;
        }
        break;
      case "user.message": {
        if (!UserMessage.Check(data)) break;
        const last = turns.at(-1);
        if (last !== undefined) last.closed = true;
        turns.push({
          turnId: `${sessionId}/${data.messageId ?? eventId}`,
          startedAt: at,
          endedAt: at,
          signals: [signalsOf(data.content === undefined ? [] : [data.content])],
          calls: [],
          closed: false,
        });
        break;
      }
      case "assistant.message":
        if (ToolRequests.Check(data) && turns.length > 0)
          current(at).signals.push(signalsOf(stringsIn(data.toolRequests.map((t) => t.arguments))));
        break;
      case "tool.execution_start":
        if (ToolStart.Check(data) && turns.length > 0)
          current(at).signals.push(signalsOf(stringsIn(data.arguments)));
        break;
      case "session.usage_record": {
        const usage = callUsageOf(record);
        if (usage === null) break;
        usageRecords += 1;
        const id = usage.accounting
          ? `${usage.accounting.sourceSessionId}/${usage.accounting.usageId}`
          : `${sessionId}/${usage.apiCallId ?? eventId}`;
        const turn = current(at);
        turn.calls.push(call(id, at, usage.model, normaliseCopilot(usage), cwd, branch));
        turn.endedAt = at;
        break;
      }
      case "session.shutdown":
        if (Shutdown.Check(record)) {
          const usage = new Map(
            Object.entries(record.data.modelMetrics).map(([m, x]) => [
              m,
              normaliseCopilot(x.usage),
            ]),
          );
          const cumulative =
            typeof data === "object" && data !== null && "usageAccountingWatermarks" in data;
          shutdowns.push({ id: eventId, at, cumulative, usage });
          current(at).endedAt = at;
        }
        for (const turn of turns) turn.closed = true;
        break;
      default:
        if (turns.length > 0 && at > (turns.at(-1)?.endedAt ?? "")) current(at).endedAt = at;
    }
  }
  if (usageRecords === 0) addShutdowns(turns, shutdowns, sessionId, cwd, branch, current);
  for (const t of turns) {
    yield {
      turnId: t.turnId,
      sessionId,
      startedAt: t.startedAt,
      endedAt: t.endedAt,
      closed: t.closed,
      signals: mergeSignals(t.signals),
      calls: t.calls,
    };
  }
}

/**
 * Without usage records, each shutdown's per-model sums are one process run's usage, put in the
 * turn that ran last before it. Sums that carry accounting watermarks (1.0.10x) are the
 * session's so far: only their growth since the previous shutdown is new.
 */
function addShutdowns(
  turns: Open[],
  shutdowns: readonly {
    id: string;
    at: string;
    cumulative: boolean;
    usage: Map<string, RequestUsage>;
  }[],
  sessionId: string,
  cwd: string | null,
  branch: string | null,
  current: (at: string) => Open,
): void {
  let before = new Map<string, RequestUsage>();
  for (const s of shutdowns) {
    const turn = turns.findLast((t) => t.startedAt <= s.at) ?? current(s.at);
    for (const [model, usage] of s.usage) {
      const share = s.cumulative ? minus(usage, before.get(model)) : usage;
      if (Object.values(share).every((n) => n === 0)) continue;
      turn.calls.push(
        call(`${sessionId}/shutdown/${s.id}/${model}`, s.at, model, share, cwd, branch),
      );
    }
    if (s.cumulative) before = s.usage;
  }
}

function minus(a: RequestUsage, b: RequestUsage | undefined): RequestUsage {
  if (b === undefined) return a;
  return {
    inputTokens: Math.max(0, a.inputTokens - b.inputTokens),
    outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
    cacheReadTokens: Math.max(0, a.cacheReadTokens - b.cacheReadTokens),
    cacheWriteTokens: Math.max(0, a.cacheWriteTokens - b.cacheWriteTokens),
    cacheWrite1hTokens: Math.max(0, a.cacheWrite1hTokens - b.cacheWrite1hTokens),
    reasoningTokens: Math.max(0, a.reasoningTokens - b.reasoningTokens),
  };
}

function call(
  key: string,
  timestamp: string,
  model: string,
  usage: RequestUsage,
  cwd: string | null,
  gitBranch: string | null,
): SessionCall {
  // Copilot's `cost` and nano-AIU are its own billing units, not dollars: never a cost here.
  return { key, timestamp, model, usage, costUsd: null, cwd, gitBranch, subagent: false };
}

async function readWorkspace(path: string): Promise<{ cwd?: string; branch?: string } | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const value: unknown = parseYaml(text);
    return Workspace.Check(value) ? value : null;
  } catch {
    return null;
  }
}
