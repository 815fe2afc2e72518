import yoctoSpinner, { type Spinner } from "yocto-spinner";
import type { ProgramIo } from "./program-io.js";

/** Shown only for scans this long: a quick report should not flash a spinner. */
const DELAY_MS = 1000;

export interface ScanProgress {
  readonly onProgress: (bytesDone: number, bytesTotal: number) => void;
  /** Clears the spinner, if one was shown, before the report is printed. */
  stop(): void;
}

/**
 * A spinner on stderr with the share of the logs read, once a scan has run for a second, and
 * only when stderr is a terminal (never in pipes, logs or CI, where it would be noise).
 */
export function scanProgress(io: ProgramIo, label: string): ScanProgress {
  const started = Date.now();
  let spinner: Spinner | null = null;
  return {
    onProgress(done, total) {
      // CI logs are not terminals even when they claim to be: each update would be a new line.
      if (!io.stderrIsTty || io.env.CI !== undefined || total === 0) return;
      if (spinner === null) {
        if (Date.now() - started < DELAY_MS) return;
        spinner = yoctoSpinner({ text: label, stream: stderrStream(io) }).start();
      }
      const text = `${label} ${Math.floor((done / total) * 100)}% (${mib(done)} of ${mib(total)} MiB)`;
      if (text !== spinner.text) spinner.text = text;
    },
    stop() {
      spinner?.clear();
      spinner?.stop();
      spinner = null;
    },
  };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

/**
 * The spinner draws on a terminal stream; this one writes to the injected stderr (so tests see
 * what a user would) and implements the few cursor moves it uses with ANSI sequences.
 */
function stderrStream(io: ProgramIo): NodeJS.WriteStream {
  const write = (text: string) => {
    io.stderr(text);
    return true;
  };
  const stream = {
    isTTY: io.stderrIsTty,
    columns: io.columns ?? 80,
    write: (chunk: string | Uint8Array) =>
      write(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")),
    cursorTo: (x: number) => write(`\x1b[${x + 1}G`),
    moveCursor: (dx: number, dy: number) =>
      write(
        `${dy < 0 ? `\x1b[${-dy}A` : dy > 0 ? `\x1b[${dy}B` : ""}${dx < 0 ? `\x1b[${-dx}D` : dx > 0 ? `\x1b[${dx}C` : ""}`,
      ),
    clearLine: () => write("\x1b[2K"),
  };
  // Only these members are used by yocto-spinner; the cast says so once, here.
  return stream as unknown as NodeJS.WriteStream;
}
