import type { RequestUsage } from "./contract.js";
import type { AgentEnv } from "./define-invoker.js";

/**
 * The contract between one agent's session-log reader (`src/agents/<agent>/sessions.ts`) and
 * the import (`src/import/`). A reader knows its agent's files and records: where they are,
 * which lines are one API call, what a turn is, how its tokens normalise (DESIGN §4). The
 * import knows the project: attribution, events, dedup against what is stored, state.
 * Readers read only usage and metadata, never prompt, answer or code text (the spec-kitty
 * signals below are pattern matches, see `spec-kitty-signals.ts`), open files read-only and
 * stream them.
 */

/** One billed model call, normalised as DESIGN §4 says. */
export interface SessionCall {
  /**
   * The call's identity within the agent, stable across re-reads, resumes and copies (Claude:
   * message id + request id). Calls with one key are one call: the import keeps the first
   * occurrence's turn and the largest usage.
   */
  readonly key: string;
  /** ISO 8601 in UTC. */
  readonly timestamp: string;
  readonly model: string;
  readonly usage: RequestUsage;
  /** What the agent itself says the call cost (OpenCode), else null. */
  readonly costUsd: number | null;
  /** The working directory the call was made from, as the agent wrote it; null if unknown. */
  readonly cwd: string | null;
  /** The git branch the agent recorded for the call; null if unknown. */
  readonly gitBranch: string | null;
  /** True when a sub-agent made the call (it still belongs to the parent's turn). */
  readonly subagent: boolean;
}

/** A spec-kitty command a turn ran (`/spec-kitty.implement WP02`, `spec-kitty agent ... review`). */
export interface SpecKittyCommand {
  /** The workflow step: implement, review, specify, plan, tasks, merge, accept, ... */
  readonly step: string;
  readonly wpId: string | null;
  readonly feature: string | null;
}

/** What a turn's prompt and tool inputs said about spec-kitty, found by pattern only. */
export interface SpecKittySignals {
  readonly commands: readonly SpecKittyCommand[];
  /** Features (and WPs) named by paths under `kitty-specs/<feature>/` or `.worktrees/<f>-WPnn/`. */
  readonly paths: readonly { readonly feature: string; readonly wpId: string | null }[];
}

/**
 * A turn: one user prompt and every call it caused, sub-agents included. Its id makes the
 * event id, so it must be unique within the agent and the same on every read (Claude: the
 * prompt line's uuid; an agent with per-session counters: `<session>:<n>`).
 */
export interface SessionTurn {
  readonly turnId: string;
  /** The session as the agent's headless output names it (so orchestrated runs are known). */
  readonly sessionId: string;
  /** ISO 8601 in UTC: the prompt's time, else the first call's. */
  readonly startedAt: string;
  /** ISO 8601 in UTC: the last record of the turn. */
  readonly endedAt: string;
  /**
   * True when the agent's own records show the turn is over: a later turn began, or the
   * session wrote its end. An open turn is imported once its files have been quiet for a while
   * or a hook says the session ended.
   */
  readonly closed: boolean;
  readonly signals: SpecKittySignals;
  readonly calls: readonly SessionCall[];
}

/** Things a reader met and skipped: counted, shown by the import, never thrown. */
export type SessionProblemKind =
  | "truncated-line"
  | "bad-line"
  | "unknown-record"
  | "newer-format"
  | "unreadable"
  | "locked";

export interface SessionProblemSink {
  /** `where` is a path (and line or row where known); `detail` one short sentence. */
  report(kind: SessionProblemKind, where: string, detail: string): void;
}

/**
 * One unit of reading: a session's files (or a database's session), with what identifies its
 * content so that an unchanged unit can be skipped without reading it.
 */
export interface SessionUnit {
  /** Unique within the agent and stable: the main file's path, or `<db path>#<session id>`. */
  readonly id: string;
  readonly files: readonly string[];
  /** Changes whenever the unit's content may have changed (sizes, mtimes, inodes, a row stamp). */
  readonly stamp: string;
  /** Milliseconds since the epoch of the unit's last write: how long it has been quiet. */
  readonly lastWriteMs: number;
}

/** Everything about reading one agent's session logs. */
export interface SessionLogReader {
  readonly agent: string;
  /**
   * The folders (or files) read when no `--source` is given: the agent's environment override,
   * else its defaults under HOME. Missing ones are simply not there.
   */
  defaultSources(env: AgentEnv): readonly string[];
  /** The units found under `sources` (folders or files), in a stable order. */
  discover(sources: readonly string[], problems: SessionProblemSink): AsyncIterable<SessionUnit>;
  /** The unit's turns, in order. Never rejects: what cannot be read is reported to `problems`. */
  read(unit: SessionUnit, problems: SessionProblemSink): AsyncIterable<SessionTurn>;
  /**
   * Days after which the agent deletes its own history by its settings (Claude Code: 30 unless
   * `cleanupPeriodDays` says otherwise); null when it keeps it or nothing is known.
   */
  retentionDays?(env: AgentEnv): Promise<number | null>;
}
