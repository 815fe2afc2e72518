import type { Static } from "typebox";
import * as Type from "typebox/type";
import { lazyCompile } from "../../events/lazy-compile.js";
import { ApiUsage } from "./api-usage.js";
import type { RawLine } from "./log-lines.js";

/**
 * The record types Claude Code 2.1.197 writes to a session log (read from its transcript
 * loader) and older ones seen in the wild (`progress`, `cost-state`): anything else is counted
 * as unknown.
 */
const OTHER_TYPES = new Set([
  "system",
  "attachment",
  "summary",
  "last-prompt",
  "custom-title",
  "ai-title",
  "tag",
  "relocated",
  "agent-name",
  "agent-color",
  "agent-setting",
  "mode",
  "permission-mode",
  "isolation-latch",
  "worktree-state",
  "pr-link",
  "bridge-session",
  "file-history-snapshot",
  "attribution-snapshot",
  "content-replacement",
  "fork-context-ref",
  "marble-origami-commit",
  "marble-origami-snapshot",
  "marble-origami-reset",
  "queue-operation",
  "speculation-accept",
  "progress",
  "cost-state",
]);

/** The newest Claude Code whose session log this reader was checked against. */
export const KNOWN_VERSION = [2, 1, 197] as const;

// Only what the import needs of an assistant line: ids, model, usage, where, and the content
// blocks (their tool inputs go to the spec-kitty patterns, nothing of them is kept).
const AssistantSchema = Type.Object({
  type: Type.Literal("assistant"),
  uuid: Type.Optional(Type.String()),
  timestamp: Type.String({ minLength: 1 }),
  sessionId: Type.Optional(Type.String()),
  cwd: Type.Optional(Type.String()),
  gitBranch: Type.Optional(Type.String()),
  isSidechain: Type.Optional(Type.Boolean()),
  version: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  message: Type.Object({
    id: Type.String({ minLength: 1 }),
    model: Type.String({ minLength: 1 }),
    usage: ApiUsage,
    content: Type.Optional(Type.Unknown()),
  }),
});

const UserSchema = Type.Object({
  type: Type.Literal("user"),
  uuid: Type.String({ minLength: 1 }),
  timestamp: Type.String({ minLength: 1 }),
  sessionId: Type.Optional(Type.String()),
  promptId: Type.Optional(Type.String()),
  agentId: Type.Optional(Type.String()),
  isMeta: Type.Optional(Type.Boolean()),
  isSidechain: Type.Optional(Type.Boolean()),
  isCompactSummary: Type.Optional(Type.Boolean()),
  version: Type.Optional(Type.String()),
  message: Type.Object({ content: Type.Unknown() }),
});

const AssistantRecord = lazyCompile(AssistantSchema);
const UserRecord = lazyCompile(UserSchema);

export type AssistantLine = Static<typeof AssistantSchema>;
export type UserLine = Static<typeof UserSchema>;

/** What a line is, as far as the import cares. */
export type LogLine =
  | { readonly kind: "assistant"; readonly record: AssistantLine }
  | { readonly kind: "user"; readonly record: UserLine }
  /** A tool's result sent back to the model: never a prompt; a Task's names its sub-agent. */
  | { readonly kind: "tool-result"; readonly agentId: string | null }
  | { readonly kind: "other"; readonly type: string }
  | { readonly kind: "unknown"; readonly type: string }
  | { readonly kind: "bad"; readonly detail: string }
  | { readonly kind: "truncated" };

const needle = (text: string) => Buffer.from(text, "utf8");
// Inside a JSON string every `"` is escaped, so `"type":"x"` in a line's bytes is always a key
// and its value: looking for it cannot be fooled by prompt or code text.
const ASSISTANT = needle('"type":"assistant"');
const USER = needle('"type":"user"');
const TOOL_RESULT = needle('"type":"tool_result"');
const TYPE = needle('"type":"');
const AGENT_ID = needle('"agentId":"');
const QUOTE = 0x22;

/**
 * Sorts a line out from its bytes where it can (the records the import never needs are not
 * parsed: tool results, snapshots, attachments), and parses the rest.
 */
export function classify(line: RawLine): LogLine {
  const { bytes } = line;
  // A line still being written (or cut): only whole JSON counts.
  if (line.unterminated) return parsed(bytes, true);
  // User lines first: their type comes before the message, so tool results (most of a log's
  // bytes) are told apart within their first hundred bytes, not after a scan to their end.
  if (bytes.includes(USER)) {
    if (bytes.includes(TOOL_RESULT)) {
      return { kind: "tool-result", agentId: valueAfter(bytes, AGENT_ID) };
    }
    return parsed(bytes, false);
  }
  if (bytes.includes(ASSISTANT)) return parsed(bytes, false);
  for (let at = bytes.indexOf(TYPE); at >= 0; at = bytes.indexOf(TYPE, at + TYPE.length)) {
    const type = valueAfter(bytes, TYPE, at);
    if (type !== null && OTHER_TYPES.has(type)) return { kind: "other", type };
  }
  return parsed(bytes, false);
}

function parsed(bytes: Buffer, unterminated: boolean): LogLine {
  let record: unknown;
  try {
    record = JSON.parse(bytes.toString("utf8"));
  } catch {
    return unterminated ? { kind: "truncated" } : { kind: "bad", detail: "not JSON" };
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return { kind: "bad", detail: "not a JSON object" };
  }
  const type = (record as { type?: unknown }).type;
  if (type === "assistant") {
    return AssistantRecord.Check(record)
      ? { kind: "assistant", record }
      : { kind: "bad", detail: "an assistant record without message id, model, usage or time" };
  }
  if (type === "user") {
    if (!UserRecord.Check(record)) {
      return { kind: "bad", detail: "a user record without uuid, time or message" };
    }
    return isToolResult(record.message.content)
      ? { kind: "tool-result", agentId: agentIdOf(record) }
      : { kind: "user", record };
  }
  if (typeof type === "string" && OTHER_TYPES.has(type)) return { kind: "other", type };
  return { kind: "unknown", type: typeof type === "string" ? type : "(none)" };
}

function isToolResult(content: unknown): boolean {
  return (
    Array.isArray(content) &&
    content.some((b) => (b as { type?: unknown } | null)?.type === "tool_result")
  );
}

function agentIdOf(record: UserLine): string | null {
  const result = (record as { toolUseResult?: { agentId?: unknown } }).toolUseResult;
  return typeof result?.agentId === "string" ? result.agentId : null;
}

/** The JSON string value right after `key` (at `from` or its first occurrence), unescaped ones only. */
function valueAfter(bytes: Buffer, key: Buffer, from = bytes.indexOf(key)): string | null {
  if (from < 0) return null;
  const start = from + key.length;
  const end = bytes.indexOf(QUOTE, start);
  if (end < 0 || end - start > 64) return null;
  return bytes.toString("utf8", start, end);
}

/** True when `version` (`2.1.197`) is of a newer major or minor than the one checked. */
export function isNewerVersion(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((p) => Number.parseInt(p, 10));
  const [knownMajor, knownMinor] = KNOWN_VERSION;
  return major > knownMajor || (major === knownMajor && minor > knownMinor);
}

/** The text of a user message: a string, or its text blocks. */
export function userText(content: unknown): string[] {
  if (typeof content === "string") return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((b: unknown) => {
    const block = b as { type?: unknown; text?: unknown } | null;
    return block?.type === "text" && typeof block.text === "string" ? [block.text] : [];
  });
}

/** The string values inside the `tool_use` blocks of an assistant message (their inputs). */
export function toolInputs(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  const strings: string[] = [];
  for (const b of content) {
    const block = b as { type?: unknown; input?: unknown } | null;
    if (block?.type === "tool_use") collectStrings(block.input, strings, 0);
  }
  return strings;
}

function collectStrings(value: unknown, into: string[], depth: number): void {
  if (typeof value === "string") into.push(value);
  else if (depth < 8 && typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) collectStrings(v, into, depth + 1);
  }
}
