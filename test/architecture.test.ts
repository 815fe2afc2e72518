import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// DESIGN §1: events <- telemetry <- agents <- {orchestrator, import, team} <- cli. A folder may
// import from a lower level or from itself; the three on one level do not import each other.
// Folders that do not exist yet are in the table so that adding them needs no change here.
const LEVELS: Readonly<Record<string, number>> = {
  events: 0,
  telemetry: 1,
  agents: 2,
  orchestrator: 3,
  import: 3,
  team: 3,
  cli: 4,
};
// Files at the top of src/ (index.ts, the public API) may import any folder; no folder imports them.
const TOP = 5;
const SRC = join(import.meta.dirname, "..", "src");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The relative modules a source file imports (static, dynamic and `export ... from`). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1] as string);
}

/** `path` relative to src/ of the module `specifier` names from `file` (also relative to src/). */
function target(file: string, specifier: string): string {
  return join(dirname(file), specifier).replace(/\.js$/, ".ts");
}

/** The folder a path under src/ is in; "" for a file at the top. */
function folderOf(path: string): string {
  const parts = path.split("/");
  return parts.length > 1 ? (parts[0] as string) : "";
}

function levelOf(folder: string): number | undefined {
  return folder === "" ? TOP : LEVELS[folder];
}

/** Why an import from `from` to `to` (paths under src/) breaks the layering; null when it does not. */
function layerViolation(from: string, to: string): string | null {
  const [a, b] = [folderOf(from), folderOf(to)];
  const [own, other] = [levelOf(a), levelOf(b)];
  if (own === undefined) return `${from}: in src/${a}/, an unknown top-level folder`;
  if (other === undefined) return `${from} -> ${to}: src/${b}/, an unknown top-level folder`;
  if (a === b) return null;
  if (other > own) return `${from} -> ${to}: ${a}/ imports ${b}/, a higher layer`;
  if (other === own) return `${from} -> ${to}: ${a}/ imports ${b}/, a folder on its level`;
  return null;
}

/** The import cycles of a module graph (strongly connected components of more than one module). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w);
      component.push(w);
    }
    if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(join(SRC, file), "utf8");
    graph.set(
      file,
      importsOf(text).map((s) => target(file, s)),
    );
  }
  return graph;
}

describe("architecture", () => {
  it.each<[string, string, string | null]>([
    ["cli/program.ts", "orchestrator/orchestrate.ts", null],
    ["orchestrator/pipeline.ts", "agents/claude.ts", null],
    ["telemetry/cost.ts", "events/event.ts", null],
    ["index.ts", "cli/program.ts", null],
    ["telemetry/cost.ts", "orchestrator/orchestrate.ts", "a higher layer"],
    ["agents/claude.ts", "import/discover.ts", "a higher layer"],
    ["orchestrator/pipeline.ts", "import/discover.ts", "a folder on its level"],
    ["team/sync.ts", "orchestrator/orchestrate.ts", "a folder on its level"],
    ["cli/program.ts", "index.ts", "a higher layer"],
    ["plugins/x.ts", "events/event.ts", "an unknown top-level folder"],
    ["cli/program.ts", "plugins/x.ts", "an unknown top-level folder"],
  ])("%s -> %s: %s", (from, to, problem) => {
    const violation = layerViolation(from, to);
    expect(violation === null ? null : violation.slice(violation.lastIndexOf(", ") + 2)).toBe(
      problem,
    );
  });

  it("every top-level folder of src/ is a known layer", async () => {
    const entries = await readdir(SRC, { withFileTypes: true });
    const unknown = entries.filter((e) => e.isDirectory() && !(e.name in LEVELS));
    expect(unknown.map((e) => e.name)).toEqual([]);
  });

  it("no module imports from a layer above it or beside it", async () => {
    const violations: string[] = [];
    for (const [file, targets] of await importGraph()) {
      for (const to of targets) violations.push(layerViolation(file, to) ?? "");
    }
    expect(violations.filter((v) => v !== "")).toEqual([]);
  });

  it.each<[string, [string, string[]][], string[][]]>([
    [
      "none",
      [
        ["a", ["b"]],
        ["b", ["c"]],
        ["c", []],
      ],
      [],
    ],
    [
      "two modules",
      [
        ["a", ["b"]],
        ["b", ["a"]],
      ],
      [["a", "b"]],
    ],
    [
      "through three",
      [
        ["a", ["b"]],
        ["b", ["c"]],
        ["c", ["a"]],
        ["d", ["a"]],
      ],
      [["a", "b", "c"]],
    ],
    ["a module importing itself", [["a", ["a"]]], [["a"]]],
  ])("finds import cycles: %s", (_, edges, expected) => {
    expect(cyclesOf(new Map(edges))).toEqual(expected);
  });

  it("src/ has no import cycle (type imports included)", async () => {
    expect(cyclesOf(await importGraph())).toEqual([]);
  });

  // Node 20 makes an ES module view of a built-in by reading every export: crypto's `webcrypto`
  // getter then loads Web Crypto (several ms of every command's start). telemetry/node-crypto.ts
  // requires it instead; nothing else imports it.
  it("no module but telemetry/node-crypto.ts imports node:crypto", async () => {
    const importers: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const text = await readFile(join(SRC, file), "utf8");
      // Type-only mentions (`typeof import("node:crypto")`) load nothing.
      const code = text.replace(/typeof import\("node:crypto"\)/g, "");
      if (/(?:from|import)\s*\(?\s*"(?:node:)?crypto"/.test(code)) importers.push(file);
    }
    expect(importers).toEqual([]);
  });
});
