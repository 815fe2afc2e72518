import { assertClockValue, type ClockStorage, MAX_LAMPORT_CLOCK } from "../events/clock.js";
import { toPythonJson } from "../events/py-json.js";
import { projectRootOf, readSmallFile, replaceFile } from "./project-paths.js";
import { stderrWarningSink, type WarningSink } from "./warnings.js";

// A clock file holds one small number per node: a megabyte is thousands of nodes.
const MAX_CLOCK_FILE_BYTES = 1 << 20;

type ClockValues = Map<string, number>;

/** The clock file's name beside a feature's log (the Python spec-kitty's). */
export const CLOCK_FILE = ".telemetry-clock.json";

/**
 * Clock storage in `.telemetry-clock.json`, the Python format: `{"<node_id>": <int>, ...}`,
 * keys sorted, no trailing newline. The file is replaced atomically. A missing file holds no
 * values; a corrupt one warns and counts as empty (the log's own clocks then take over).
 */
export class FileClockStorage implements ClockStorage {
  readonly filePath: string;
  readonly #warn: WarningSink;
  readonly #root: string;

  /** `root`: nothing outside it is read or written (default: the file's project). */
  constructor(
    filePath: string,
    options: { readonly warn?: WarningSink; readonly root?: string } = {},
  ) {
    this.filePath = filePath;
    this.#warn = options.warn ?? stderrWarningSink;
    this.#root = options.root ?? projectRootOf(filePath);
  }

  async load(nodeId: string): Promise<number> {
    return (await this.#read()).get(nodeId) ?? 0;
  }

  async save(nodeId: string, value: number): Promise<void> {
    assertClockValue(value);
    const values = await this.#read({ quiet: true });
    values.set(nodeId, value);
    // Replaced by a rename: never written through a symlink, never in a folder outside.
    await replaceFile(this.filePath, toPythonJson(Object.fromEntries(values)), this.#root);
  }

  /** The highest value of any node (0 when there are none). */
  async maxValue(): Promise<number> {
    let max = 0;
    for (const value of (await this.#read()).values()) max = Math.max(max, value);
    return max;
  }

  async #read(options: { readonly quiet?: boolean } = {}): Promise<ClockValues> {
    let problem: string;
    try {
      const text = await readSmallFile(this.filePath, {
        root: this.#root,
        maxBytes: MAX_CLOCK_FILE_BYTES,
      });
      if (text === null) return new Map();
      const parsed = parseClockValues(text);
      if (parsed?.outOfRange === 0) return parsed.values;
      if (parsed) {
        // One absurd value must not pin every later clock past what can be written: drop it.
        if (!options.quiet) this.#warnOutOfRange(parsed.outOfRange);
        return parsed.values;
      }
      problem = "is not a valid clock file";
    } catch (e) {
      // Clock values can be recovered from the log, so an unreadable file is no reason to stop.
      problem = `could not be read (${(e as Error).message})`;
    }
    if (!options.quiet) {
      this.#warn({
        code: "CLOCK_FILE_CORRUPT",
        file: this.filePath,
        message: `${this.filePath} ${problem}; continuing from the clocks in the log`,
      });
    }
    return new Map();
  }

  #warnOutOfRange(count: number): void {
    this.#warn({
      code: "CLOCK_FILE_CORRUPT",
      file: this.filePath,
      message: `${this.filePath} holds ${count} clock value(s) above ${MAX_LAMPORT_CLOCK}, ignored as corrupt`,
    });
  }
}

function parseClockValues(text: string): { values: ClockValues; outOfRange: number } | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const values: ClockValues = new Map();
  let outOfRange = 0;
  for (const [node, value] of Object.entries(data)) {
    // Like the Python reader, take any non-negative number and ignore anything else.
    if (typeof value !== "number" || !(value >= 0)) continue;
    if (value > MAX_LAMPORT_CLOCK) outOfRange++;
    else values.set(node, Math.floor(value));
  }
  return { values, outOfRange };
}
