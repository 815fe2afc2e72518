import type { Dirent } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { AgentEnv } from "../define-invoker.js";
import { agentHome } from "../run-files.js";
import type {
  SessionLogReader,
  SessionProblemSink,
  SessionTurn,
  SessionUnit,
} from "../session-logs.js";
import { RolloutParser } from "./rollout-parser.js";

/**
 * Codex CLI's rollouts as import units: one `rollout-*.jsonl` file each, under `sessions/`
 * (`YYYY/MM/DD/`) and `archived_sessions/` (where `codex archive` moves them). A rollout found
 * in both is one content: its calls' keys come from the thread, turn and response ids, never
 * from the path.
 */
export const codexSessionReader: SessionLogReader = {
  agent: "codex",
  defaultSources(env: AgentEnv): readonly string[] {
    const home = agentHome(env, "CODEX_HOME", ".codex");
    return [join(home, "sessions"), join(home, "archived_sessions")];
  },
  discover: discoverRollouts,
  read: readRollout,
};

async function* discoverRollouts(
  sources: readonly string[],
  problems: SessionProblemSink,
): AsyncIterable<SessionUnit> {
  const seen = new Set<string>();
  for (const source of sources) {
    for (const path of await rolloutsUnder(source, problems)) {
      if (seen.has(path)) continue;
      seen.add(path);
      const info = await stat(path).catch(() => null);
      if (info === null) {
        problems.report("unreadable", path, "the rollout vanished or cannot be read");
        continue;
      }
      yield {
        id: path,
        files: [path],
        stamp: `${info.size}:${info.mtimeMs}:${info.ino}`,
        lastWriteMs: info.mtimeMs,
      };
    }
  }
}

/** The rollout files at or under `source`, sorted; a missing source has none. */
async function rolloutsUnder(source: string, problems: SessionProblemSink): Promise<string[]> {
  const info = await stat(source).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) {
    if (info.code !== "ENOENT" && info.code !== "ENOTDIR") {
      problems.report("unreadable", source, `cannot be read (${info.code ?? info.message})`);
    }
    return [];
  }
  if (info.isFile()) return source.endsWith(".jsonl") ? [source] : [];
  let entries: Dirent[];
  try {
    entries = await readdir(source, { recursive: true, withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    problems.report("unreadable", source, `the folder cannot be listed (${code})`);
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.startsWith("rollout-") && e.name.endsWith(".jsonl"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The turns of one rollout, streamed line by line (rollouts reach gigabytes). A last line
 * without its newline is still being written: reported and left for the next read.
 */
async function* readRollout(
  unit: SessionUnit,
  problems: SessionProblemSink,
): AsyncIterable<SessionTurn> {
  const path = unit.files[0];
  if (path === undefined) return;
  const parser = new RolloutParser(path, problems);
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const complete = size === 0 || last[0] === 0x0a;
      const lines = createInterface({
        input: handle.createReadStream({ encoding: "utf8", autoClose: false }),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      // Each line is read once the next one is known: the last one may be unfinished.
      let pending: string | null = null;
      let number = -1;
      for await (const line of lines) {
        if (pending !== null) parser.line(pending, number);
        pending = line;
        number++;
      }
      if (pending !== null && complete) parser.line(pending, number);
      else if (pending !== null) {
        problems.report("truncated-line", `${path}:${number + 1}`, "the last line is incomplete");
      }
    } finally {
      await handle.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    problems.report("unreadable", path, `the rollout cannot be read (${code})`);
    return;
  }
  yield* parser.turns();
}
