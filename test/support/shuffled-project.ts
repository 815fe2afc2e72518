import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EVENT_LOG_FILE } from "../../src/telemetry/emit.js";
import { tempDir } from "./temp-project.js";
import { eventLine, variedLog, writeVariedLog } from "./varied-log.js";

/**
 * `variedLog`'s lines of one feature with their order disturbed as merged logs have it: blocks
 * of lines reversed (clocks and times out of order), an id repeated with other content (the
 * first line wins), lines of another feature's events, and the awkward lines of `variedLog`.
 */
export function shuffledLog(count: number, feature: string, block: number): Buffer {
  const lines = variedLog(count, feature).toString("latin1").split("\n");
  const out: string[] = [];
  for (let at = 0; at < lines.length; at += block) {
    const part = lines.slice(at, at + block);
    out.push(...((at / block) % 3 === 1 ? part.reverse() : part));
  }
  // The same id as line 5's event, another time and clock: a reader keeps the first one.
  const repeated = eventLine(5, feature)
    .replace(/"lamport_clock": \d+/, '"lamport_clock": 999999')
    .replace(/"timestamp": "2026-09-01/, '"timestamp": "2027-01-01');
  out.splice(Math.min(out.length, 3 * block), 0, repeated);
  return Buffer.from(`${out.join("\n")}\n`, "latin1");
}

/**
 * A project of several features whose logs are out of order, with duplicates, bad lines, a
 * BOM, an unterminated last line, events at the same moment in two features (equal times,
 * clocks, nodes and ids), an empty log and a feature folder without a log.
 */
export async function shuffledProject(): Promise<string> {
  const root = await tempDir();
  const write = async (feature: string, bytes: Buffer) => {
    const path = join(root, "kitty-specs", feature, EVENT_LOG_FILE);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    return path;
  };
  await write("041-shuffled", shuffledLog(900, "041-shuffled", 37));
  await write("042-reversed", shuffledLog(400, "042-reversed", 400));
  await writeVariedLog(root, "043-first", 700, { bom: true });
  await writeVariedLog(root, "044-second", 300, { unterminated: true });
  await write("045-empty", Buffer.alloc(0));
  await mkdir(join(root, "kitty-specs", "046-no-log"), { recursive: true });
  return root;
}
