import type { Spinner, default as yoctoSpinner } from "yocto-spinner";
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
  // CI logs are not terminals even when they claim to be: each update would be a new line.
  const shown = io.stderrIsTty && io.env.CI === undefined;
  // The spinner's code (and node:tty, which it loads) only for a terminal, loaded meanwhile:
  // a report in a pipe or a script (most, and every warm one timed) does without.
  let makeSpinner: typeof yoctoSpinner | null = null;
  if (shown) {
    import("yocto-spinner").then(
      (m) => {
        makeSpinner = m.default;
      },
      () => undefined, // no spinner then: it is only a nicety
    );
  }
  return {
    onProgress(done, total) {
      if (!shown || total === 0) return;
      if (spinner === null) {
        // Not loaded yet: the next update shows it.
        if (Date.now() - started < DELAY_MS || makeSpinner === null) return;
        spinner = makeSpinner({ text: label, stream: stderrStream(io) }).start();
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
