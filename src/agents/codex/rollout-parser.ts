import type {
  SessionCall,
  SessionProblemSink,
  SessionTurn,
  SpecKittyCommand,
  SpecKittySignals,
} from "../session-logs.js";
import { specKittySignals } from "../spec-kitty-signals.js";
import {
  CustomToolCall,
  FunctionCall,
  isZero,
  KNOWN_RECORD_TYPES,
  LocalShellCall,
  modelSetBy,
  NEWEST_KNOWN_CLI,
  normaliseUsage,
  SessionMeta,
  type SessionMetaPayload,
  SettingsApplied,
  SubagentSource,
  ThreadEvent,
  TOOL_CALL_ITEMS,
  TokenCount,
  type TokenCountPayload,
  type TokenUsage,
  TokenUsageRecord,
  type TokenUsageRecordPayload,
  TurnContext,
  TurnEdge,
  UserMessageEvent,
  UserMessageItem,
  usageDelta,
  usageKey,
} from "./rollout-records.js";

/** The model of calls whose rollout names none (early Sept-2025 rollouts): left unpriced. */
export const UNKNOWN_MODEL = "unknown";

interface TurnState {
  readonly turnId: string;
  readonly sessionId: string;
  readonly startedAt: string;
  endedAt: string;
  closed: boolean;
  readonly commands: Map<string, SpecKittyCommand>;
  readonly paths: Map<string, { feature: string; wpId: string | null }>;
  readonly calls: SessionCall[];
}

// The record type and, for response items, the payload type, as Codex writes them at the start
// of a line: enough to skip the bulk of a rollout (messages, tool outputs) without parsing it.
const HEAD =
  /^\{"timestamp":"[^"]*",(?:"ordinal":\d+,)?"type":"([a-z_]+)"(?:,"payload":\{"type":"([A-Za-z_]+)")?/;

/** The events that move turns, models and usage, or carry the prompt; the rest are skipped. */
const EVENTS_READ: ReadonlySet<string> = new Set([
  "task_started",
  "task_complete",
  "turn_aborted",
  "thread_settings_applied",
  "user_message",
  "item_completed",
  "token_count",
]);
const THREAD_IN_NAME = /-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;
const USER_ITEM = /"item":\{"type":"UserMessage"/;

/**
 * Reads one rollout's lines in order into turns (DESIGN §4 usage, the spec-kitty signals of the
 * prompts and tool inputs, never their text).
 *
 * Counting, without double counts:
 * - `token_usage_record` (0.16x and later) is one response with its ids: counted as it is.
 * - Else `token_count` events: deltas of the cumulative `total_token_usage`, skipping re-emitted
 *   unchanged totals; `last_token_usage` when the totals went down (compaction) or are missing.
 * - A forked or sub-agent rollout first replays its parent's records (a copy of the parent's
 *   `session_meta`, its turns): they set the baseline of the totals and are otherwise skipped,
 *   until the first record that names this thread.
 *
 * Turns: Codex's `turn_id` where it writes one (a sub-agent's calls go to the parent turn that
 * spawned it, `root_turn_id`), else the n-th user prompt of the thread.
 */
export class RolloutParser {
  private threadId: string | null = null;
  /** The root thread: what `codex exec --json` printed as `thread.started`. */
  private sessionId: string | null = null;
  private subagent = false;
  private forked = false;
  private inReplay = false;
  private branch: string | null = null;
  private cwd: string | null = null;
  private model: string | null = null;
  private timestamp = "";
  /** Codex's own id of the current turn, and the key of the turn its calls go to. */
  private rawTurn: string | null = null;
  private current: TurnState | null = null;
  private prompts = 0;
  private readonly turnsByKey = new Map<string, TurnState>();
  private readonly keyOfRawTurn = new Map<string, string>();
  private perResponse = false;
  private totals: TokenUsage | null = null;
  private resets = 0;
  private lastOnly: string | null = null;
  private readonly unknownTypes = new Set<string>();

  private readonly path: string;
  private readonly problems: SessionProblemSink;

  /** The thread of a rollout without `session_meta`: the id in its file name, else its path. */
  private readonly namedThread: string;

  constructor(path: string, problems: SessionProblemSink) {
    this.path = path;
    this.problems = problems;
    this.namedThread = THREAD_IN_NAME.exec(path)?.[1] ?? path;
  }

  /** One line of the file (`number` from 0). */
  line(text: string, number: number): void {
    if (text.length === 0 || text === "\r") return;
    const head = HEAD.exec(text);
    const type = head?.[1];
    if (type === "world_state" || type === "compacted") return;
    const inner = head?.[2];
    if (inner !== undefined) {
      if (type === "response_item" && !TOOL_CALL_ITEMS.has(inner)) return;
      if (type === "event_msg" && !EVENTS_READ.has(inner)) return;
      // Completed items are read for the user's prompt only (command outputs can be large).
      if (inner === "item_completed" && !this.inReplay && !USER_ITEM.test(text.slice(0, 400))) {
        return;
      }
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      this.problems.report("bad-line", this.where(number), "the line is not JSON; skipped");
      return;
    }
    this.record(record, number);
  }

  private record(r: unknown, number: number): void {
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      this.problems.report("bad-line", this.where(number), "the line is not a JSON object");
      return;
    }
    const fields = r as Record<string, unknown>;
    const type = fields.type;
    if (typeof fields.timestamp === "string") {
      const ms = Date.parse(fields.timestamp);
      if (Number.isFinite(ms)) this.timestamp = new Date(ms).toISOString();
    }
    if (typeof type !== "string" || !KNOWN_RECORD_TYPES.has(type)) {
      const name = typeof type === "string" ? type : "(none)";
      if (!this.unknownTypes.has(name)) {
        this.unknownTypes.add(name);
        this.problems.report(
          "unknown-record",
          this.where(number),
          `record type ${JSON.stringify(name)} is not known; skipped`,
        );
      }
      return;
    }
    if (this.inReplay && ThreadEvent.Check(r) && r.payload.thread_id === this.threadId) {
      this.inReplay = false;
    }
    if (SessionMeta.Check(r)) this.sessionMeta(r.payload, number);
    else if (TokenUsageRecord.Check(r)) this.usageRecord(r.payload);
    else if (TokenCount.Check(r)) this.tokenCount(r.payload.info);
    else if (!this.inReplay) this.turnRecord(r);
  }

  /** Records that move the turn, its model and cwd, or carry its signals (none in a replay). */
  private turnRecord(r: unknown): void {
    if (TurnContext.Check(r)) {
      const p = r.payload;
      if (p.model !== undefined) this.model = p.model;
      if (p.cwd !== undefined) this.cwd = p.cwd;
      if (p.turn_id !== undefined) this.startTurn(p.turn_id, p.root_turn_id);
    } else if (TurnEdge.Check(r)) {
      const p = r.payload;
      if (p.type === "task_started" && p.turn_id !== undefined) {
        this.startTurn(p.turn_id, p.root_turn_id);
      } else if (p.type !== "task_started") {
        const key =
          p.turn_id === undefined ? this.current?.turnId : this.keyOfRawTurn.get(p.turn_id);
        const turn = key === undefined ? undefined : this.turnsByKey.get(key);
        if (turn !== undefined) {
          turn.closed = true;
          turn.endedAt = this.timestamp;
        }
      }
    } else if (SettingsApplied.Check(r)) {
      this.model = modelSetBy(r) ?? this.model;
    } else if (UserMessageEvent.Check(r)) {
      this.prompt(r.payload.message);
    } else if (UserMessageItem.Check(r)) {
      this.prompt(r.payload.item.content.map((c) => c.text ?? "").join("\n"));
    } else if (FunctionCall.Check(r)) {
      this.signals(r.payload.arguments);
    } else if (CustomToolCall.Check(r)) {
      this.signals(r.payload.input);
    } else if (LocalShellCall.Check(r)) {
      this.signals(r.payload.action.command.join(" "));
    }
  }

  private sessionMeta(meta: SessionMetaPayload, number: number): void {
    if (this.threadId !== null) {
      // A copy of another thread's meta: the replay of a fork's or sub-agent's parent.
      if (meta.id !== this.threadId && this.forked) this.inReplay = true;
      return;
    }
    this.threadId = meta.id;
    this.sessionId = meta.session_id ?? meta.id;
    this.subagent =
      SubagentSource.Check(meta.source) ||
      meta.thread_source === "subagent" ||
      (meta.parent_thread_id ?? null) !== null;
    this.forked = this.subagent || (meta.forked_from_id ?? null) !== null;
    this.branch = meta.git?.branch ?? null;
    this.cwd = meta.cwd ?? null;
    if (meta.cli_version !== undefined && isNewer(meta.cli_version)) {
      this.problems.report(
        "newer-format",
        this.where(number),
        `written by Codex ${meta.cli_version}, newer than ${NEWEST_KNOWN_CLI.join(".")} (read as that)`,
      );
    }
  }

  private usageRecord(p: TokenUsageRecordPayload): void {
    // Another thread's response, replayed into this file: its own rollout counts it.
    if (p.thread_id !== this.ownThread()) return;
    this.inReplay = false;
    this.perResponse = true;
    const rawTurn = p.turn_id;
    const key = this.keyOfRawTurn.get(rawTurn) ?? this.startTurn(rawTurn, p.root_turn_id, false);
    const turn = this.turnsByKey.get(key);
    if (turn === undefined || isZero(p.usage)) return;
    this.call(turn, `${p.thread_id}:${p.turn_id}:${p.response_id}`, p.usage, null);
  }

  private tokenCount(info: TokenCountPayload["info"]): void {
    if (info === null) return;
    const total = info.total_token_usage ?? null;
    const last = info.last_token_usage ?? null;
    let usage: TokenUsage | null;
    let key: string;
    if (total !== null) {
      const before = this.totals;
      if (before !== null && usageKey(before) === usageKey(total)) return;
      this.totals = total;
      if (this.inReplay) return;
      // The file's first totals may include responses written elsewhere (a continuation or
      // copy of the thread's rollout): only the last response is this position's own.
      const delta = before === null ? (last ?? total) : usageDelta(total, before);
      if (delta === null) this.resets++;
      usage = delta ?? last;
      key = `${this.ownThread()}:total:${this.resets}:${usageKey(total)}`;
    } else {
      if (last === null || this.inReplay) return;
      if (this.lastOnly === usageKey(last)) return;
      this.lastOnly = usageKey(last);
      usage = last;
      key = `${this.ownThread()}:last:${this.timestamp}:${usageKey(last)}`;
    }
    // Per-response records count this response already.
    if (this.perResponse || usage === null || isZero(usage)) return;
    const turn = this.current ?? this.turnsByKey.get(this.startTurn(null, undefined));
    if (turn !== undefined) this.call(turn, key, usage, info.model ?? null);
  }

  private call(turn: TurnState, key: string, usage: TokenUsage, model: string | null): void {
    turn.calls.push({
      key: `codex:${key}`,
      timestamp: this.timestamp,
      model: model ?? this.model ?? UNKNOWN_MODEL,
      usage: normaliseUsage(usage),
      costUsd: null,
      cwd: this.cwd,
      gitBranch: this.branch,
      subagent: this.subagent,
    });
    turn.endedAt = this.timestamp;
  }

  /**
   * Makes `rawTurn` (Codex's turn id; null: the next prompt of a rollout without turn ids) the
   * current turn and returns its key. A later turn closes the one before, unless `advance` is
   * false (a usage record naming a turn not begun in this file).
   */
  private startTurn(rawTurn: string | null, rootTurn: string | undefined, advance = true): string {
    const session = this.sessionId ?? this.namedThread;
    if (rawTurn !== null && rawTurn === this.rawTurn && this.current !== null) {
      return this.current.turnId;
    }
    const key =
      rawTurn === null
        ? `${session}:${++this.prompts}`
        : (this.keyOfRawTurn.get(rawTurn) ?? `${session}:${rootTurn ?? rawTurn}`);
    if (rawTurn !== null) this.keyOfRawTurn.set(rawTurn, key);
    let turn = this.turnsByKey.get(key);
    if (turn === undefined) {
      turn = {
        turnId: key,
        sessionId: session,
        startedAt: this.timestamp,
        endedAt: this.timestamp,
        closed: false,
        commands: new Map(),
        paths: new Map(),
        calls: [],
      };
      this.turnsByKey.set(key, turn);
    }
    if (advance) {
      if (this.current !== null && this.current !== turn) this.current.closed = true;
      this.current = turn;
      this.rawTurn = rawTurn;
    }
    return key;
  }

  /** A user prompt: a new turn in a rollout without turn ids, and the turn's signals. */
  private prompt(text: string): void {
    if (this.current === null || this.rawTurn === null) this.startTurn(null, undefined);
    this.signals(text);
  }

  /** Keeps only what `text` says of spec-kitty, on the current turn. */
  private signals(text: string): void {
    const turn = this.current ?? this.turnsByKey.get(this.startTurn(null, undefined));
    if (turn === undefined) return;
    const found = specKittySignals([text]);
    for (const c of found.commands) turn.commands.set(JSON.stringify(c), c);
    for (const p of found.paths) turn.paths.set(JSON.stringify(p), p);
    turn.endedAt = this.timestamp;
  }

  private ownThread(): string {
    return this.threadId ?? this.namedThread;
  }

  private where(number: number): string {
    return `${this.path}:${number + 1}`;
  }

  /** The turns with at least one call, in the order they began. */
  *turns(): Iterable<SessionTurn> {
    for (const t of this.turnsByKey.values()) {
      if (t.calls.length === 0) continue;
      const signals: SpecKittySignals = {
        commands: [...t.commands.values()],
        paths: [...t.paths.values()],
      };
      yield {
        turnId: t.turnId,
        sessionId: t.sessionId,
        startedAt: t.startedAt || (t.calls[0]?.timestamp ?? ""),
        endedAt: t.endedAt,
        closed: t.closed,
        signals,
        calls: t.calls,
      };
    }
  }
}

function isNewer(version: string): boolean {
  const [major, minor] = version.split(".").map((n) => Number.parseInt(n, 10));
  if (major === undefined || minor === undefined || !Number.isFinite(major)) return false;
  const [knownMajor, knownMinor] = NEWEST_KNOWN_CLI;
  return (
    major > knownMajor || (major === knownMajor && Number.isFinite(minor) && minor > knownMinor)
  );
}
