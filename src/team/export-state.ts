import { createReadStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createHash } from "../telemetry/node-crypto.js";
import { openForAppend } from "../telemetry/project-paths.js";

/** Where the ids of what was sent are kept, per destination (safe to delete: all is resent). */
export const EXPORT_STATE_DIR = join(".kittify", "export");

/**
 * The event ids already sent to one destination: one id a line, appended once the destination
 * acknowledged them, so a killed export resends at most its last batch (the backend sees the
 * same span ids again).
 */
export class SentIds {
  readonly path: string;
  readonly #root: string;
  readonly #ids = new Set<string>();

  private constructor(root: string, path: string) {
    this.#root = root;
    this.path = path;
  }

  /**
   * The ids sent from project `root` to `destination` (a URL) by the `kind` of export (`otlp`,
   * `pg`), read from its state file.
   */
  static async load(root: string, destination: string, kind = "otlp"): Promise<SentIds> {
    const name = createHash("sha256").update(destination).digest("hex").slice(0, 16);
    const state = new SentIds(root, join(root, EXPORT_STATE_DIR, `${kind}-${name}.ids`));
    await state.#read();
    return state;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** Records `ids` as sent (after the destination acknowledged them). */
  async add(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await mkdir(join(this.#root, EXPORT_STATE_DIR), { recursive: true });
    const handle = await openForAppend(this.path, this.#root);
    try {
      await handle.writeFile(`${ids.join("\n")}\n`);
    } finally {
      await handle.close();
    }
    for (const id of ids) this.#ids.add(id);
  }

  async #read(): Promise<void> {
    const stream = createReadStream(this.path, { encoding: "utf8" });
    const opened = await new Promise<boolean>((resolve) => {
      stream.once("open", () => resolve(true));
      stream.once("error", () => resolve(false));
    });
    if (!opened) return;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      // A line cut by a kill is not an id; its event is sent again, harmlessly.
      if (/^[0-9A-Za-z-]{26,36}$/.test(line)) this.#ids.add(line);
    }
  }
}
