import type { SessionProblemKind, SessionProblemSink } from "../agents/session-logs.js";

/** How many problems of one kind a reader met, and the first few places. */
export interface ProblemCount {
  count: number;
  readonly first: { readonly where: string; readonly detail: string }[];
}

/** What the import did with one agent's session logs. */
export interface AgentImportSummary {
  readonly agent: string;
  readonly sources: readonly string[];
  /** Days after which the agent deletes its history by its settings; null when it keeps it. */
  retentionDays: number | null;
  readonly units: { read: number; skipped: number };
  readonly turns: {
    /** Turns that made at least one new event (or would, in a dry run). */
    imported: number;
    /** Turns whose events are all stored already. */
    present: number;
    /** Turns still in progress, left for the next import. */
    open: number;
    beforeSince: number;
    /** Turns of sessions that `orchestrate` or `emit` recorded already. */
    orchestrated: number;
    /** Turns with no call of their own (all counted in another turn, or none). */
    empty: number;
    /** Turns whose calls were all made in another project. */
    outside: number;
  };
  /** Calls made in another project, not imported. */
  callsOutside: number;
  /** New events (or events a dry run would write). */
  events: number;
  readonly eventsByFeature: Record<string, number>;
  /** New events in the project's unattributed bucket. */
  unattributed: number;
  readonly problems: Partial<Record<SessionProblemKind, ProblemCount>>;
}

/** What one import did. */
export interface ImportSummary {
  readonly root: string;
  readonly dryRun: boolean;
  readonly agents: AgentImportSummary[];
  /** Agents asked for that have no session-log reader (Cursor keeps no usage on disk). */
  readonly unsupported: string[];
  /** One-line notes: an ignored state file, events that could not be written. */
  readonly warnings: string[];
}

/** How many places of each problem kind are kept for the summary. */
const FIRST_PLACES = 3;

/** A fresh summary for one agent, with a problem sink that counts into it. */
export function agentSummary(
  agent: string,
  sources: readonly string[],
): { summary: AgentImportSummary; problems: SessionProblemSink } {
  const summary: AgentImportSummary = {
    agent,
    sources,
    retentionDays: null,
    units: { read: 0, skipped: 0 },
    turns: {
      imported: 0,
      present: 0,
      open: 0,
      beforeSince: 0,
      orchestrated: 0,
      empty: 0,
      outside: 0,
    },
    callsOutside: 0,
    events: 0,
    eventsByFeature: {},
    unattributed: 0,
    problems: {},
  };
  const problems: SessionProblemSink = {
    report(kind, where, detail) {
      let found = summary.problems[kind];
      if (found === undefined) {
        found = { count: 0, first: [] };
        summary.problems[kind] = found;
      }
      found.count++;
      if (found.first.length < FIRST_PLACES) found.first.push({ where, detail });
    },
  };
  return { summary, problems };
}
