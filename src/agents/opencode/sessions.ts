import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import type { RequestUsage } from "../contract.js";
import type { AgentEnv } from "../define-invoker.js";
import { describe } from "../jsonl-stream.js";
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
const Millis = Type.Number({ minimum: 0 });

// What is kept of a message's `data` (the same object as a legacy storage/message/*.json).
const UserMessage = lazyCompile(
  Type.Object({ role: Type.Literal("user"), time: Type.Object({ created: Millis }) }),
);
const AssistantSchema = Type.Object({
  role: Type.Literal("assistant"),
  modelID: Type.String(),
  providerID: Type.String(),
  parentID: Type.Optional(Type.String()),
  cost: Type.Optional(Type.Number({ minimum: 0 })),
  path: Type.Optional(Type.Object({ cwd: Type.Optional(Type.String()) })),
  time: Type.Object({ created: Millis, completed: Type.Optional(Millis) }),
  tokens: Type.Object({
    input: Type.Optional(Count),
    output: Type.Optional(Count),
    reasoning: Type.Optional(Count),
    cache: Type.Optional(Type.Object({ read: Type.Optional(Count), write: Type.Optional(Count) })),
  }),
});
type Assistant = Static<typeof AssistantSchema>;
const Assistant = lazyCompile(AssistantSchema);
// Parts read for spec-kitty signals only: a prompt's text, a tool call's input.
const TextPart = lazyCompile(Type.Object({ type: Type.Literal("text"), text: Type.String() }));
const ToolPart = lazyCompile(
  Type.Object({
    type: Type.Literal("tool"),
    state: Type.Object({ input: Type.Optional(Type.Unknown()) }),
  }),
);
// A legacy session file (storage/session/<project>/<id>.json) and message file.
const LegacySession = lazyCompile(
  Type.Object({
    id: Type.String(),
    directory: Type.Optional(Type.String()),
    parentID: Type.Optional(Type.String()),
  }),
);
const LegacyMessage = lazyCompile(Type.Object({ id: Type.String(), sessionID: Type.String() }));

/** How long a read waits for OpenCode to release a write lock before reporting it. */
const BUSY_TIMEOUT_MS = 2000;

/**
 * OpenCode keeps its sessions in `<data>/opencode.db` (SQLite since 1.2; other channels
 * `opencode-<channel>.db`), before that in `<data>/storage/{session,message,part}/` JSON files;
 * `<data>` is `$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`. A unit is a session
 * with its sub-agent (child) sessions, whose calls belong to the parent's turns. The database
 * is opened read-only and read row by row; a session also in the database is not read from the
 * JSON files.
 */
export const opencodeSessionReader: SessionLogReader = {
  agent: "opencode",
  defaultSources: (env: AgentEnv) => [
    join(env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share"), "opencode"),
  ],
  discover: discoverOpencode,
  read: readOpencode,
};

const isDatabase = (name: string) => /^opencode(-[A-Za-z0-9_.-]+)?\.db$/.test(name);

interface SessionRow {
  readonly id: string;
  readonly parent_id: string | null;
  readonly directory: string;
  readonly time_updated: number;
}

/** Runs `use` on the database opened read-only; a lock is reported as `locked`, not thrown. */
function withDatabase<T>(
  path: string,
  problems: SessionProblemSink,
  use: (db: Database.Database) => T,
): T | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    return use(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const locked = code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
    problems.report(locked ? "locked" : "unreadable", path, describe(error));
    return null;
  } finally {
    db?.close();
  }
}

function hasTable(db: Database.Database, table: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !==
    undefined
  );
}

async function* discoverOpencode(
  sources: readonly string[],
  problems: SessionProblemSink,
): AsyncIterable<SessionUnit> {
  for (const source of sources) {
    const folder = await isDirectory(source);
    const databases = folder ? await entriesIn(source, isDatabase) : [source];
    const inDatabases = new Set<string>();
    for (const db of databases) {
      const sessions = withDatabase(db, problems, (d) => {
        if (!hasTable(d, "session") || !hasTable(d, "message")) {
          problems.report("newer-format", db, "no session and message tables (a newer schema)");
          return [];
        }
        return d
          .prepare("SELECT id, parent_id, directory, time_updated FROM session ORDER BY id")
          .all() as SessionRow[];
      });
      const files = [db, `${db}-wal`];
      const { stamp: fileStamp } = await filesStamp(files);
      for (const tree of sessionTrees(sessions ?? [])) {
        for (const s of tree) inDatabases.add(s.id);
        const root = tree[0];
        if (root === undefined) continue;
        const lastWriteMs = Math.max(...tree.map((s) => s.time_updated));
        yield {
          id: `${db}#${root.id}`,
          files,
          // The rows' own stamps; the file's too, since a message can change without its session.
          stamp: `${tree.map((s) => `${s.id}@${s.time_updated}`).join(",")};${fileStamp}`,
          lastWriteMs,
        };
      }
    }
    if (folder) yield* discoverLegacy(join(source, "storage"), inDatabases);
  }
}

/** Sessions grouped under their root (a parent's children, grand-children...), root first. */
function sessionTrees(sessions: readonly SessionRow[]): SessionRow[][] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const rootOf = (s: SessionRow): string => {
    const seen = new Set<string>();
    let at = s;
    while (at.parent_id !== null && byId.has(at.parent_id) && !seen.has(at.id)) {
      seen.add(at.id);
      at = byId.get(at.parent_id) ?? at;
    }
    return at.id;
  };
  const trees = new Map<string, SessionRow[]>();
  for (const s of sessions) {
    const root = rootOf(s);
    const tree = trees.get(root) ?? [];
    if (s.id === root) tree.unshift(s);
    else tree.push(s);
    trees.set(root, tree);
  }
  return [...trees.values()];
}

async function* readOpencode(
  unit: SessionUnit,
  problems: SessionProblemSink,
): AsyncIterable<SessionTurn> {
  if (unit.id.startsWith("legacy#")) {
    yield* readLegacy(unit, problems);
    return;
  }
  const [db] = unit.files;
  const rootId = unit.id.slice(unit.id.lastIndexOf("#") + 1);
  if (db === undefined) return;
  const session = withDatabase(db, problems, (d) => readSessionTree(d, db, rootId, problems));
  if (session !== null) yield* turnsOf(session);
}

/** A session tree as read: its messages in time order, its signals per message. */
interface SessionTree {
  readonly rootId: string;
  readonly directories: ReadonlyMap<string, string>;
  readonly messages: readonly {
    readonly id: string;
    readonly sessionId: string;
    readonly data: unknown;
    readonly where: string;
  }[];
  readonly signals: ReadonlyMap<string, SpecKittySignals>;
}

function readSessionTree(
  db: Database.Database,
  path: string,
  rootId: string,
  problems: SessionProblemSink,
): SessionTree {
  // CROSS JOIN keeps the session tree the outer loop: each table is searched by its session
  // index, never scanned (a scan of a multi-GB `part` table per session).
  const tree = `WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT s.id FROM session s JOIN tree ON s.parent_id = tree.id)`;
  const directories = new Map<string, string>();
  const rows = db
    .prepare(`${tree} SELECT s.id, s.directory FROM session s JOIN tree USING (id)`)
    .iterate(rootId) as IterableIterator<{ id: string; directory: string }>;
  for (const row of rows) directories.set(row.id, row.directory);
  const messages: SessionTree["messages"][number][] = [];
  const messageRows = db
    .prepare(
      `${tree} SELECT m.id, m.session_id, m.data FROM tree CROSS JOIN message m ON m.session_id = tree.id ORDER BY m.time_created, m.id`,
    )
    .iterate(rootId) as IterableIterator<{ id: string; session_id: string; data: string }>;
  for (const row of messageRows) {
    const data = parseJson(row.data);
    const where = `${path}#message/${row.id}`;
    if (data === undefined) problems.report("bad-line", where, "its data is not JSON");
    else messages.push({ id: row.id, sessionId: row.session_id, data, where });
  }
  const texts = new Map<string, string[]>();
  const parts = db
    .prepare(
      `${tree} SELECT p.message_id, p.data FROM tree CROSS JOIN part p ON p.session_id = tree.id WHERE json_valid(p.data) AND json_extract(p.data, '$.type') IN ('text', 'tool')`,
    )
    .iterate(rootId) as IterableIterator<{ message_id: string; data: string }>;
  for (const part of parts) {
    const found = partTexts(parseJson(part.data));
    if (found.length > 0)
      texts.set(part.message_id, [...(texts.get(part.message_id) ?? []), ...found]);
  }
  const signals = new Map([...texts].map(([id, t]) => [id, signalsOf(t)]));
  return { rootId, directories, messages, signals };
}

function partTexts(part: unknown): string[] {
  if (TextPart.Check(part)) return [part.text];
  if (ToolPart.Check(part)) return stringsIn(part.state.input);
  return [];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function* turnsOf(session: SessionTree): Generator<SessionTurn> {
  type Open = {
    turnId: string;
    messageId: string;
    startedAt: string;
    signals: SpecKittySignals[];
    calls: SessionCall[];
    complete: boolean;
  };
  const turns: Open[] = [];
  const byPrompt = new Map<string, Open>();
  const { rootId } = session;
  // The root's prompts first: a child's calls go to the turn running when they were made.
  for (const m of session.messages) {
    if (m.sessionId !== rootId || !UserMessage.Check(m.data)) continue;
    const turn: Open = {
      turnId: `${rootId}/${m.id}`,
      messageId: m.id,
      startedAt: isoTime(m.data.time.created) ?? "",
      signals: [session.signals.get(m.id) ?? signalsOf([])],
      calls: [],
      complete: true,
    };
    turns.push(turn);
    byPrompt.set(m.id, turn);
  }
  for (const m of session.messages) {
    if (UserMessage.Check(m.data)) {
      if (m.sessionId !== rootId)
        turnAt(turns, isoTime(m.data.time.created))?.signals.push(
          session.signals.get(m.id) ?? signalsOf([]),
        );
      continue;
    }
    if (!Assistant.Check(m.data)) continue;
    const data = m.data;
    const subagent = m.sessionId !== rootId;
    const created = isoTime(data.time.created) ?? "";
    let turn =
      (!subagent && data.parentID !== undefined ? byPrompt.get(data.parentID) : undefined) ??
      turnAt(turns, created);
    if (turn === undefined) {
      // Calls without a prompt before them (its message gone): a turn of their own.
      turn = {
        turnId: `${rootId}/${m.id}`,
        messageId: m.id,
        startedAt: created,
        signals: [],
        calls: [],
        complete: true,
      };
      turns.push(turn);
    }
    turn.signals.push(session.signals.get(m.id) ?? signalsOf([]));
    if (data.time.completed === undefined) turn.complete = false;
    const call = callOf(m.id, data, session.directories.get(m.sessionId) ?? null, subagent);
    if (call !== null) turn.calls.push(call);
  }
  for (const [i, t] of turns.entries()) {
    const times = [t.startedAt, ...t.calls.map((c) => c.timestamp)].toSorted();
    yield {
      turnId: t.turnId,
      sessionId: rootId,
      startedAt: t.startedAt,
      endedAt: times.at(-1) ?? t.startedAt,
      closed: i < turns.length - 1 && t.complete,
      signals: mergeSignals(t.signals),
      calls: t.calls,
    };
  }
}

/** The last turn begun at or before `time` (else the first). */
function turnAt<T extends { startedAt: string }>(
  turns: readonly T[],
  time: string | null,
): T | undefined {
  return turns.findLast((t) => time !== null && t.startedAt <= time) ?? turns[0];
}

function callOf(
  id: string,
  data: Assistant,
  directory: string | null,
  subagent: boolean,
): SessionCall | null {
  const usage = normalise(data.tokens);
  // A message still streaming has no tokens yet: the next import reads it.
  if (usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens === 0)
    return null;
  return {
    key: `opencode/${id}`,
    timestamp: isoTime(data.time.completed ?? data.time.created) ?? "",
    model: `${data.providerID}/${data.modelID}`,
    usage,
    // 0 is "not charged or unknown" (a provider without prices): left to the estimate.
    costUsd: data.cost === undefined || data.cost === 0 ? null : data.cost,
    cwd: data.path?.cwd ?? directory,
    gitBranch: null,
    subagent,
  };
}

/** OpenCode's `output` leaves reasoning out; ours includes it. `input` excludes the cache. */
function normalise(t: Assistant["tokens"]): RequestUsage {
  const reasoning = t.reasoning ?? 0;
  return {
    inputTokens: t.input ?? 0,
    outputTokens: (t.output ?? 0) + reasoning,
    cacheReadTokens: t.cache?.read ?? 0,
    cacheWriteTokens: t.cache?.write ?? 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: reasoning,
  };
}

// --- The JSON files of OpenCode before 1.2 ----------------------------------------------------

/** One unit per session folder under `storage/message/`, unless the database has the session. */
async function* discoverLegacy(
  storage: string,
  inDatabases: ReadonlySet<string>,
): AsyncIterable<SessionUnit> {
  const messageRoot = join(storage, "message");
  for (const folder of await entriesIn(messageRoot, () => true)) {
    const sessionId = basename(folder);
    if (inDatabases.has(sessionId) || !(await isDirectory(folder))) continue;
    const files = await entriesIn(folder, (n) => n.endsWith(".json"));
    yield { id: `legacy#${folder}`, files, ...(await filesStamp(files)) };
  }
}

/**
 * A legacy session folder's messages; the session's directory from
 * `storage/session/<project>/<id>.json`. Sub-agent sessions are their own units here (their
 * parent link is read, but joining them is left to the database era).
 */
async function* readLegacy(
  unit: SessionUnit,
  problems: SessionProblemSink,
): AsyncIterable<SessionTurn> {
  const folder = unit.id.slice("legacy#".length);
  const sessionId = basename(folder);
  const storage = join(folder, "..", "..");
  const directory = await legacyDirectory(storage, sessionId);
  const messages: SessionTree["messages"][number][] = [];
  for (const file of unit.files) {
    const text = await readFile(file, "utf8").catch((error: unknown) => {
      problems.report("unreadable", file, describe(error));
      return null;
    });
    if (text === null) continue;
    const data = parseJson(text);
    if (!LegacyMessage.Check(data)) {
      problems.report(data === undefined ? "bad-line" : "unknown-record", file, "not a message");
      continue;
    }
    messages.push({ id: data.id, sessionId, data, where: file });
  }
  // Message ids sort by creation time.
  messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  yield* turnsOf({
    rootId: sessionId,
    directories: new Map(directory === null ? [] : [[sessionId, directory]]),
    messages,
    signals: new Map(),
  });
}

async function legacyDirectory(storage: string, sessionId: string): Promise<string | null> {
  for (const project of await entriesIn(join(storage, "session"), () => true)) {
    const text = await readFile(join(project, `${sessionId}.json`), "utf8").catch(() => null);
    const data = text === null ? undefined : parseJson(text);
    if (LegacySession.Check(data)) return data.directory ?? null;
  }
  return null;
}
