import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import { createHash } from "../../telemetry/node-crypto.js";
import type { RequestUsage } from "../contract.js";
import type { AgentEnv } from "../define-invoker.js";
import { describe, streamJsonLines } from "../jsonl-stream.js";
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

const Count = Type.Integer({ minimum: 0 });
const TokensSchema = Type.Object({
  input: Type.Optional(Count),
  output: Type.Optional(Count),
  cached: Type.Optional(Count),
  thoughts: Type.Optional(Count),
  tool: Type.Optional(Count),
});
type Tokens = Static<typeof TokensSchema>;

// Only what is needed of a message: ids, time, model, tokens; content is pattern-matched only.
const MessageSchema = Type.Object({
  id: Type.String(),
  timestamp: Type.String(),
  type: Type.String(),
  content: Type.Optional(Type.Unknown()),
  model: Type.Optional(Type.String()),
  tokens: Type.Optional(Type.Union([TokensSchema, Type.Null()])),
  toolCalls: Type.Optional(Type.Array(Type.Object({ args: Type.Optional(Type.Unknown()) }))),
});
type Message = Static<typeof MessageSchema>;
const Message = lazyCompile(MessageSchema);
// The first line of a JSONL session (and again each time a run resumes it).
const Header = lazyCompile(
  Type.Object({ sessionId: Type.String(), projectHash: Type.Optional(Type.String()) }),
);
// `$set` updates metadata; `$set.messages` replaces the list (a resume rewrites the history).
const SetRecord = lazyCompile(
  Type.Object({
    $set: Type.Object({
      sessionId: Type.Optional(Type.String()),
      messages: Type.Optional(Type.Array(Type.Unknown())),
    }),
  }),
);
// A rewind hides messages from the conversation, but their tokens were spent: nothing to undo.
const Rewind = lazyCompile(Type.Object({ $rewindTo: Type.String() }));
// Before 0.39: one JSON object with every message.
const LegacySession = lazyCompile(
  Type.Object({ sessionId: Type.String(), messages: Type.Array(Type.Unknown()) }),
);

/** A legacy `.json` session is parsed whole: beyond this it is reported, not read. */
const MAX_LEGACY_BYTES = 256 * 1024 * 1024;
/** Gemini's own context preamble, sent as a user message: not a prompt. */
const CONTEXT_PREAMBLE = "<session_context>";

/**
 * Gemini CLI keeps `<home>/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl` (`.json`
 * before 0.39), sub-agents in `chats/<session id>/<id>.jsonl`; `<home>` is `GEMINI_CLI_HOME`,
 * else the user's home. `<project>` is a slug of the folder Gemini ran in, whose `.project_root`
 * names it (older: sha256 of that path, found through `projects.json`): one session, one cwd.
 */
export const geminiSessionReader: SessionLogReader = {
  agent: "gemini",
  defaultSources: (env: AgentEnv) => [
    join(env.GEMINI_CLI_HOME || env.HOME || homedir(), ".gemini"),
  ],
  discover: discoverGemini,
  read: readGemini,
};

const isSessionFile = (name: string) => /^session-.+\.jsonl?$/.test(name);

async function* discoverGemini(
  sources: readonly string[],
  _problems: SessionProblemSink,
): AsyncIterable<SessionUnit> {
  for (const source of sources) {
    if (!(await isDirectory(source))) {
      if (await stat(source).catch(() => null)) yield await unitOf(source);
      continue;
    }
    for (const chats of await chatFolders(source)) {
      for (const file of await entriesIn(chats, isSessionFile)) yield await unitOf(file);
    }
  }
}

/** The `chats` folders under a Gemini home, its `tmp`, one project's folder, or `chats` itself. */
async function chatFolders(source: string): Promise<string[]> {
  if (basename(source) === "chats") return [source];
  const tmp = (await isDirectory(join(source, "tmp"))) ? join(source, "tmp") : source;
  if (await isDirectory(join(tmp, "chats"))) return [join(tmp, "chats")];
  const folders = await entriesIn(tmp, () => true);
  const chats: string[] = [];
  for (const folder of folders) {
    if (await isDirectory(join(folder, "chats"))) chats.push(join(folder, "chats"));
  }
  return chats;
}

/** A session file and its sub-agents' files (`chats/<session id>/`, found by the id's start). */
async function unitOf(file: string): Promise<SessionUnit> {
  const id8 = /-([0-9a-f]{8})\.jsonl?$/.exec(basename(file))?.[1];
  const chats = dirname(file);
  const subFolders = id8 === undefined ? [] : await entriesIn(chats, (n) => n.startsWith(id8));
  const files = [file];
  for (const folder of subFolders) {
    if (await isDirectory(folder))
      files.push(...(await entriesIn(folder, (n) => n.endsWith(".jsonl"))));
  }
  return { id: file, files, ...(await filesStamp(files)) };
}

/** What is kept of a message: never its text. */
interface Kept {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  readonly prompt: boolean;
  readonly model: string | null;
  readonly tokens: Tokens | null;
  readonly signals: SpecKittySignals;
}

/** One file's messages by type and id, in the order first seen, each the last version written. */
class Messages {
  readonly byKey = new Map<string, Kept>();
  sessionId: string | null = null;

  add(m: Message): void {
    const key = `${m.type}:${m.id}`;
    const before = this.byKey.get(key);
    const tokens = m.tokens ?? null;
    const texts = [...promptTexts(m), ...stringsIn(m.toolCalls?.map((c) => c.args) ?? [])];
    this.byKey.set(key, {
      id: m.id,
      type: m.type,
      timestamp: before?.timestamp ?? m.timestamp,
      prompt: m.type === "user" && isPrompt(m.content),
      // A resume rewrites the history without tokens: the tokens written last stay.
      model: m.model ?? before?.model ?? null,
      tokens: tokens ?? before?.tokens ?? null,
      signals: texts.length > 0 ? signalsOf(texts) : (before?.signals ?? signalsOf([])),
    });
  }
}

async function* readGemini(
  unit: SessionUnit,
  problems: SessionProblemSink,
): AsyncIterable<SessionTurn> {
  const [main, ...subagents] = unit.files;
  if (main === undefined) return;
  const session = await readMessages(main, problems);
  if (session === null || session.sessionId === null) return;
  const cwd = await projectRoot(dirname(dirname(main)));
  const subCalls: SessionCall[] = [];
  for (const file of subagents) {
    const sub = await readMessages(file, problems);
    if (sub !== null) subCalls.push(...callsOf(sub, sub.sessionId ?? file, cwd, true));
  }
  yield* turnsOf(session, session.sessionId, cwd, subCalls);
}

async function readMessages(file: string, problems: SessionProblemSink): Promise<Messages | null> {
  const messages = new Messages();
  if (file.endsWith(".json")) return readLegacy(file, messages, problems);
  for await (const { record, line } of streamJsonLines(file, problems)) {
    const where = `${file}:${line}`;
    if (Message.Check(record)) messages.add(record);
    else if (SetRecord.Check(record)) {
      messages.sessionId ??= record.$set.sessionId ?? null;
      for (const m of record.$set.messages ?? []) if (Message.Check(m)) messages.add(m);
    } else if (Header.Check(record)) messages.sessionId ??= record.sessionId;
    else if (Rewind.Check(record)) continue;
    else if (Object.keys(record).some((k) => k.startsWith("$")))
      problems.report("newer-format", where, "an update record this reader does not know");
    else problems.report("unknown-record", where, "neither a header, a message nor an update");
  }
  return messages;
}

async function readLegacy(
  file: string,
  messages: Messages,
  problems: SessionProblemSink,
): Promise<Messages | null> {
  try {
    const size = (await stat(file)).size;
    if (size > MAX_LEGACY_BYTES) {
      problems.report(
        "unreadable",
        file,
        `a legacy session of ${size} bytes is too large to parse whole`,
      );
      return null;
    }
    const value: unknown = JSON.parse(await readFile(file, "utf8"));
    if (!LegacySession.Check(value)) {
      problems.report("unknown-record", file, "not a Gemini session object");
      return null;
    }
    messages.sessionId = value.sessionId;
    for (const m of value.messages) if (Message.Check(m)) messages.add(m);
    return messages;
  } catch (error) {
    problems.report(
      error instanceof SyntaxError ? "truncated-line" : "unreadable",
      file,
      describe(error),
    );
    return null;
  }
}

function* turnsOf(
  session: Messages,
  sessionId: string,
  cwd: string | null,
  subCalls: readonly SessionCall[],
): Generator<SessionTurn> {
  type Open = {
    turnId: string;
    startedAt: string;
    signals: SpecKittySignals[];
    calls: SessionCall[];
  };
  const turns: Open[] = [];
  for (const m of session.byKey.values()) {
    if (m.prompt) {
      turns.push({
        turnId: `${sessionId}/${m.id}`,
        startedAt: isoTime(m.timestamp) ?? m.timestamp,
        signals: [m.signals],
        calls: [],
      });
      continue;
    }
    const call = callOf(m, sessionId, cwd, false);
    let turn = turns.at(-1);
    if (turn === undefined && (call !== null || m.signals.commands.length > 0)) {
      // Calls before any prompt (a session started by a command): a turn of their own.
      turn = {
        turnId: `${sessionId}/${m.id}`,
        startedAt: isoTime(m.timestamp) ?? m.timestamp,
        signals: [],
        calls: [],
      };
      turns.push(turn);
    }
    turn?.signals.push(m.signals);
    if (call !== null) turn?.calls.push(call);
  }
  // A sub-agent's call belongs to the turn running when it was made.
  for (const call of subCalls) {
    const turn = turns.findLast((t) => t.startedAt <= call.timestamp) ?? turns[0];
    turn?.calls.push(call);
  }
  for (const [i, t] of turns.entries()) {
    const times = [t.startedAt, ...t.calls.map((c) => c.timestamp)].toSorted();
    yield {
      turnId: t.turnId,
      sessionId,
      startedAt: t.startedAt,
      endedAt: times.at(-1) ?? t.startedAt,
      closed: i < turns.length - 1,
      signals: mergeSignals(t.signals),
      calls: t.calls,
    };
  }
}

function callsOf(
  m: Messages,
  sessionId: string,
  cwd: string | null,
  subagent: boolean,
): SessionCall[] {
  return [...m.byKey.values()].flatMap((k) => callOf(k, sessionId, cwd, subagent) ?? []);
}

function callOf(
  m: Kept,
  sessionId: string,
  cwd: string | null,
  subagent: boolean,
): SessionCall | null {
  if (m.type !== "gemini" || m.tokens === null || m.model === null) return null;
  const usage = normalise(m.tokens);
  if (usage.inputTokens + usage.outputTokens + usage.cacheReadTokens === 0) return null;
  return {
    key: `${sessionId}/${m.id}`,
    timestamp: isoTime(m.timestamp) ?? m.timestamp,
    model: m.model,
    usage,
    costUsd: null,
    cwd,
    gitBranch: null,
    subagent,
  };
}

/**
 * `input` is the prompt with its cached part, `tool` (the tool-use prompt) is input apart from
 * it, `thoughts` are output billed apart: as the invoker normalises Gemini's stats (DESIGN §4).
 */
function normalise(t: Tokens): RequestUsage {
  const cached = t.cached ?? 0;
  const thoughts = t.thoughts ?? 0;
  return {
    inputTokens: Math.max(0, (t.input ?? 0) - cached) + (t.tool ?? 0),
    outputTokens: (t.output ?? 0) + thoughts,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: thoughts,
  };
}

/** A user message is a prompt when it has text and is neither a tool result nor the preamble. */
function isPrompt(content: unknown): boolean {
  const parts = Array.isArray(content) ? content : [content];
  if (parts.some((p) => typeof p === "object" && p !== null && "functionResponse" in p))
    return false;
  const texts = textsOf(parts);
  return texts.length > 0 && !texts.some((t) => t.trimStart().startsWith(CONTEXT_PREAMBLE));
}

function promptTexts(m: Message): string[] {
  if (m.type !== "user") return [];
  const parts = Array.isArray(m.content) ? m.content : [m.content];
  return isPrompt(m.content) ? textsOf(parts) : [];
}

function textsOf(parts: readonly unknown[]): string[] {
  return parts.flatMap((p) => {
    if (typeof p === "string") return p === "" ? [] : [p];
    if (typeof p === "object" && p !== null && "text" in p && typeof p.text === "string")
      return [p.text];
    return [];
  });
}

/**
 * The folder a project's temp dir stands for: its `.project_root`, else (a pre-0.29 hash
 * folder) the path in `projects.json` whose sha256 is the folder's name; null if neither says.
 */
async function projectRoot(projectDir: string): Promise<string | null> {
  const marker = await readFile(join(projectDir, ".project_root"), "utf8").catch(() => null);
  if (marker !== null && marker.trim() !== "") return marker.trim();
  const registry = await readFile(
    join(dirname(dirname(projectDir)), "projects.json"),
    "utf8",
  ).catch(() => null);
  if (registry === null) return null;
  try {
    const projects = (JSON.parse(registry) as { projects?: Record<string, string> }).projects ?? {};
    const name = basename(projectDir);
    for (const [path, slug] of Object.entries(projects)) {
      if (slug === name || createHash("sha256").update(path).digest("hex") === name) return path;
    }
  } catch {
    // An unreadable registry only costs the cwd.
  }
  return null;
}
