// A Claude Code projects folder of a given size for the import benchmark: sessions in the main
// checkout and in work-package worktrees, each API response split into one line per content
// block with its usage repeated (early lines with a streaming snapshot's output), tool results
// of every size (most of the bytes, as in real logs), attachments, hook progress and file
// snapshots, Task sub-agents in their own files, resumed sessions whose history is copied into a
// forked file. Deterministic for a seed; kept under bench/.data/ between runs.
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "./generate.js";

/** Bumped whenever the generator writes different bytes for the same options. */
const GENERATOR_VERSION = 1;

export interface ClaudeBenchData {
  /** The `projects/` folder. */
  readonly projects: string;
  /** The spec-kitty project the sessions ran in (`<dir>/shop`), without any event log. */
  readonly repo: string;
  readonly files: readonly string[];
  readonly bytes: number;
  readonly lines: number;
  readonly sessions: number;
  readonly subagentFiles: number;
  readonly forkedCopies: number;
  /** Distinct API calls (copies and content-block lines counted once) and their token sums. */
  readonly calls: number;
  readonly tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
}

interface Manifest extends ClaudeBenchData {
  readonly version: number;
  readonly seed: string;
  readonly target: number;
}

// Text for prompts, answers and tool results: JSON-safe (no quote, no backslash), sliced anywhere.
const WORDS = "the a function returns value const let import from export if else for while map set "
  .concat("test expect describe async await promise string number boolean type interface class ")
  .concat("{ } ( ) [ ] => ; : , . < > = + - * / 0 1 2 3 kitty-specs worktree feature review ")
  .split(" ");

function filler(rng: Rng, size: number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const word = WORDS[rng.int(0, WORDS.length - 1)] ?? "x";
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(" ");
}

/** Buffered appends to one file, written in ~4 MB blocks. */
class Out {
  readonly #fd: number;
  #parts: string[] = [];
  #pending = 0;
  bytes = 0;
  lines = 0;

  constructor(path: string) {
    this.#fd = openSync(path, "w");
  }

  line(text: string): void {
    this.#parts.push(text, "\n");
    this.#pending += text.length + 1;
    this.bytes += Buffer.byteLength(text) + 1;
    this.lines++;
    if (this.#pending > 4_000_000) this.flush();
  }

  flush(): void {
    if (this.#parts.length === 0) return;
    writeSync(this.#fd, this.#parts.join(""));
    this.#parts = [];
    this.#pending = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

class Generator {
  readonly rng: Rng;
  readonly #big: string;
  #ids = 0;
  #clock = Date.parse("2026-09-01T08:00:00.000Z");
  calls = 0;
  readonly tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

  constructor(seed: string) {
    this.rng = new Rng(`claude-bench:${seed}`);
    this.#big = filler(this.rng, 2_200_000);
  }

  text(size: number): string {
    const start = this.rng.int(0, this.#big.length - size - 1);
    return this.#big.slice(start, start + size);
  }

  uuid(): string {
    const hex = (n: number) =>
      Math.floor(this.rng.next() * 16 ** n)
        .toString(16)
        .padStart(n, "0");
    return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  }

  id(prefix: string): string {
    return `${prefix}_bench${(++this.#ids).toString(36).padStart(8, "0")}`;
  }

  time(stepMs: number): string {
    this.#clock += stepMs;
    return new Date(this.#clock).toISOString();
  }

  /** A tool result's size: mostly a few KB, sometimes a whole file, rarely a huge output. */
  resultSize(): number {
    const r = this.rng.next();
    if (r < 0.6) return this.rng.int(200, 4000);
    if (r < 0.95) return this.rng.int(4000, 60_000);
    if (r < 0.995) return this.rng.int(60_000, 400_000);
    return this.rng.int(400_000, 2_000_000);
  }
}

interface Where {
  readonly cwd: string;
  readonly branch: string;
  readonly session: string;
  readonly version: string;
}

const envelope = (w: Where, extra: string) =>
  `"userType":"external","entrypoint":"cli","cwd":"${w.cwd}","sessionId":"${w.session}","version":"${w.version}","gitBranch":"${w.branch}"${extra}`;

interface Turn {
  readonly lines: string[];
}

/** One prompt and what it caused: responses, tool results, maybe a sub-agent (its lines apart). */
function turn(g: Generator, w: Where, sub: { lines: string[] | null }): Turn {
  const lines: string[] = [];
  const promptId = g.uuid();
  let parent = g.uuid();
  const command = g.rng.next() < 0.15 ? `/spec-kitty.implement WP0${g.rng.int(1, 9)} ` : "";
  lines.push(
    `{"parentUuid":null,"isSidechain":false,"promptId":"${promptId}","type":"user","message":{"role":"user","content":"${command}${g.text(g.rng.int(40, 600))}"},"uuid":"${parent}","timestamp":"${g.time(60_000)}","permissionMode":"default",${envelope(w, "")}}`,
  );
  if (g.rng.next() < 0.5) {
    lines.push(
      `{"parentUuid":"${parent}","isSidechain":false,"attachment":{"type":"skill_listing","content":"${g.text(g.rng.int(1000, 6000))}"},"type":"attachment","uuid":"${g.uuid()}","timestamp":"${g.time(5)}",${envelope(w, "")}}`,
    );
  }
  const responses = g.rng.int(1, 10);
  for (let r = 0; r < responses; r++) {
    const last = r === responses - 1;
    const task = !last && sub.lines === null && g.rng.next() < 0.08;
    const blocks: string[] = [];
    if (g.rng.next() < 0.4)
      blocks.push(
        `{"type":"thinking","thinking":"${g.text(g.rng.int(100, 3000))}","signature":"${g.text(200)}"}`,
      );
    if (g.rng.next() < 0.7 || last)
      blocks.push(`{"type":"text","text":"${g.text(g.rng.int(20, 2000))}"}`);
    const toolId = g.id("toolu");
    if (!last) {
      blocks.push(
        task
          ? `{"type":"tool_use","id":"${toolId}","name":"Task","input":{"description":"Explore","prompt":"${g.text(300)}","subagent_type":"Explore","model":"haiku"}}`
          : `{"type":"tool_use","id":"${toolId}","name":"Bash","input":{"command":"${g.text(g.rng.int(10, 200))}","description":"Run it"}}`,
      );
    }
    parent = call(g, w, lines, blocks, parent, "claude-sonnet-4-5-20250929", false);
    if (!last) {
      const agentId = task ? g.id("a").slice(2) : null;
      if (agentId !== null) sub.lines = subagent(g, w, promptId, agentId);
      const result =
        agentId === null ? "" : `,"toolUseResult":{"status":"completed","agentId":"${agentId}"}`;
      const uuid = g.uuid();
      lines.push(
        `{"parentUuid":"${parent}","isSidechain":false,"promptId":"${promptId}","type":"user","message":{"role":"user","content":[{"tool_use_id":"${toolId}","type":"tool_result","content":"${g.text(g.resultSize())}","is_error":false}]},"uuid":"${uuid}","timestamp":"${g.time(2000)}"${result},${envelope(w, "")}}`,
      );
      parent = uuid;
      if (g.rng.next() < 0.1) {
        lines.push(
          `{"parentUuid":"${parent}","isSidechain":false,"type":"progress","data":{"type":"hook_progress","hookEvent":"PostToolUse","hookName":"PostToolUse:Bash","command":"true"},"toolUseID":"${toolId}","timestamp":"${g.time(1)}","uuid":"${g.uuid()}",${envelope(w, "")}}`,
        );
      }
      if (g.rng.next() < 0.05) {
        lines.push(
          `{"type":"file-history-snapshot","messageId":"${g.uuid()}","snapshot":{"messageId":"${g.uuid()}","trackedFileBackups":{"src/a.ts":{"backupFileName":"${g.id("b")}","version":1,"backupTime":"${g.time(1)}"}},"timestamp":"${g.time(1)}"},"isSnapshotUpdate":false}`,
        );
      }
    }
  }
  if (g.rng.next() < 0.7)
    lines.push(
      `{"type":"last-prompt","lastPrompt":"${g.text(50)}","leafUuid":"${parent}","sessionId":"${w.session}"}`,
    );
  return { lines };
}

/** One API call: a line per content block, usage repeated (earlier lines with output 1). */
function call(
  g: Generator,
  w: Where,
  lines: string[],
  blocks: readonly string[],
  parent: string,
  model: string,
  sidechain: boolean,
): string {
  const input = g.rng.int(1, 5000);
  const output = g.rng.int(20, 3000);
  const cacheRead = g.rng.int(0, 150_000);
  const w5m = g.rng.int(0, 8000);
  const w1h = g.rng.next() < 0.3 ? g.rng.int(0, 4000) : 0;
  g.calls++;
  g.tokens.input += input;
  g.tokens.output += output;
  g.tokens.cacheRead += cacheRead;
  g.tokens.cacheWrite += w5m + w1h;
  const message = g.id("msg");
  const request = g.id("req");
  const time = g.time(3000);
  let uuid = parent;
  blocks.forEach((block, i) => {
    const out = i === blocks.length - 1 ? output : 1;
    const usage = `{"input_tokens":${input},"cache_creation_input_tokens":${w5m + w1h},"cache_read_input_tokens":${cacheRead},"output_tokens":${out},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":${w1h},"ephemeral_5m_input_tokens":${w5m}}}`;
    const next = g.uuid();
    lines.push(
      `{"parentUuid":"${uuid}","isSidechain":${sidechain},"message":{"id":"${message}","type":"message","role":"assistant","model":"${model}","content":[${block}],"stop_reason":null,"stop_sequence":null,"usage":${usage}},"requestId":"${request}","type":"assistant","uuid":"${next}","timestamp":"${time}",${envelope(w, "")}}`,
    );
    uuid = next;
  });
  return uuid;
}

function subagent(g: Generator, w: Where, promptId: string, agentId: string): string[] {
  const lines: string[] = [];
  const extra = `,"agentId":"${agentId}"`;
  let parent = g.uuid();
  lines.push(
    `{"parentUuid":null,"isSidechain":true,"promptId":"${promptId}","type":"user","message":{"role":"user","content":"${g.text(300)}"},"uuid":"${parent}","timestamp":"${g.time(100)}",${envelope(w, extra)}}`,
  );
  const responses = g.rng.int(2, 8);
  for (let r = 0; r < responses; r++) {
    const last = r === responses - 1;
    const toolId = g.id("toolu");
    const blocks = [`{"type":"text","text":"${g.text(g.rng.int(20, 800))}"}`];
    if (!last)
      blocks.push(
        `{"type":"tool_use","id":"${toolId}","name":"Grep","input":{"pattern":"${g.text(20)}"}}`,
      );
    parent = call(g, w, lines, blocks, parent, "claude-haiku-4-5-20251001", true);
    if (!last) {
      const uuid = g.uuid();
      lines.push(
        `{"parentUuid":"${parent}","isSidechain":true,"promptId":"${promptId}","type":"user","message":{"role":"user","content":[{"tool_use_id":"${toolId}","type":"tool_result","content":"${g.text(g.resultSize())}"}]},"uuid":"${uuid}","timestamp":"${g.time(1000)}",${envelope(w, extra)}}`,
      );
      parent = uuid;
    }
  }
  return lines;
}

/** Claude Code's folder name for a cwd: every character but letters and digits a dash. */
const folderOf = (cwd: string) => cwd.replace(/[^a-zA-Z0-9]/g, "-");

/** The features of the project the sessions ran in, four work packages each. */
export const BENCH_FEATURES = [1, 2, 3, 4, 5, 6].map((f) => `0${40 + f}-feature-${f}`);

/** The main checkout `repo` and its 24 work packages' worktrees, as places sessions run in. */
function places(repo: string): { cwd: string; branch: string; folder: string }[] {
  const out = [{ cwd: repo, branch: "main", folder: folderOf(repo) }];
  for (const feature of BENCH_FEATURES) {
    for (let wp = 1; wp <= 4; wp++) {
      const cwd = `${repo}/.worktrees/${feature}-WP0${wp}`;
      out.push({ cwd, branch: `${feature}-WP0${wp}`, folder: folderOf(cwd) });
    }
  }
  return out;
}

/** The project itself: its features' folders with their work packages' prompt files. */
async function writeRepo(repo: string): Promise<void> {
  for (const feature of BENCH_FEATURES) {
    const tasks = join(repo, "kitty-specs", feature, "tasks");
    await mkdir(tasks, { recursive: true });
    for (let wp = 1; wp <= 4; wp++)
      await writeFile(join(tasks, `WP0${wp}-work.md`), `# WP0${wp}\n`);
  }
}

/**
 * Writes (or reuses, when its manifest matches) about `target` bytes of Claude Code session
 * logs under `dir/projects`, of sessions run in the project `dir/shop`.
 */
export async function generateClaudeProjects(
  dir: string,
  target: number,
  seed: string,
): Promise<ClaudeBenchData> {
  const manifestPath = join(dir, "manifest.json");
  const old = await readFile(manifestPath, "utf8").then(
    (t) => JSON.parse(t) as Manifest,
    () => null,
  );
  const repo = join(dir, "shop");
  const projects = join(dir, "projects");
  if (
    old?.version === GENERATOR_VERSION &&
    old.seed === seed &&
    old.target === target &&
    old.repo === repo
  ) {
    return old;
  }
  await rm(dir, { recursive: true, force: true });
  await writeRepo(repo);
  const g = new Generator(seed);
  const folders = places(repo);
  const files: string[] = [];
  let bytes = 0;
  let lines = 0;
  let sessions = 0;
  let subagentFiles = 0;
  let forkedCopies = 0;
  const write = (path: string, content: readonly string[]) => {
    const out = new Out(path);
    for (const line of content) out.line(line);
    out.close();
    files.push(path);
    bytes += out.bytes;
    lines += out.lines;
  };
  while (bytes < target) {
    const place = folders[g.rng.int(0, folders.length - 1)] ?? folders[0];
    if (place === undefined) break;
    const folder = join(projects, place.folder);
    await mkdir(folder, { recursive: true });
    const session = g.uuid();
    const where: Where = { cwd: place.cwd, branch: place.branch, session, version: "2.1.197" };
    // Sessions from a few KB to ~60 MB: most small, a few long.
    const drawn = Math.floor(20_000 / (g.rng.next() ** 1.6 + 0.0003));
    const size = Math.max(20_000, Math.min(60_000_000, drawn, target - bytes));
    const history: string[] = [];
    let written = 0;
    while (written < size) {
      const sub = { lines: null as string[] | null };
      const t = turn(g, where, sub);
      for (const line of t.lines) {
        history.push(line);
        written += line.length + 1;
      }
      if (sub.lines !== null) {
        const agentId = /"agentId":"([^"]+)"/.exec(sub.lines[0] ?? "")?.[1] ?? "x";
        await mkdir(join(folder, session, "subagents"), { recursive: true });
        write(join(folder, session, "subagents", `agent-${agentId}.jsonl`), sub.lines);
        subagentFiles++;
      }
    }
    write(join(folder, `${session}.jsonl`), history);
    sessions++;
    // A resumed session forked into a new file: the history copied under the new session id.
    if (g.rng.next() < 0.08 && bytes < target) {
      const fork = g.uuid();
      const copy = history.map((l) =>
        l.replaceAll(`"sessionId":"${session}"`, `"sessionId":"${fork}"`),
      );
      const more = turn(g, { ...where, session: fork }, { lines: [] });
      write(join(folder, `${fork}.jsonl`), [...copy, ...more.lines]);
      forkedCopies++;
    }
  }
  const data: Manifest = {
    version: GENERATOR_VERSION,
    seed,
    target,
    projects,
    repo,
    files: files.sort(),
    bytes,
    lines,
    sessions,
    subagentFiles,
    forkedCopies,
    calls: g.calls,
    tokens: g.tokens,
  };
  await writeFile(manifestPath, JSON.stringify(data));
  return data;
}
