import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// DESIGN §1: imports point one way, events <- telemetry <- orchestrator <- cli.
const LAYERS = ["events", "telemetry", "orchestrator", "cli"] as const;
const SRC = join(import.meta.dirname, "..", "src");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

function layerOf(path: string): number {
  return LAYERS.indexOf(relative(SRC, path).split("/")[0] as (typeof LAYERS)[number]);
}

describe("architecture", () => {
  it("no layer imports from a layer above it", async () => {
    const violations: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const own = layerOf(file);
      const text = await readFile(file, "utf8");
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
        const target = layerOf(join(file, "..", specifier as string));
        if (own >= 0 && target > own) violations.push(`${relative(SRC, file)} -> ${specifier}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
