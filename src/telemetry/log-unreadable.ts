import { UnsafeFileError } from "./project-paths.js";
import type { WarningSink } from "./warnings.js";

/**
 * Warns that a log could not be read (a directory, no permission, a symlink out of the
 * project), naming why: one unreadable log must not hide every other feature's costs.
 */
export function warnLogUnreadable(path: string, e: unknown, warn: WarningSink): void {
  const reason =
    e instanceof UnsafeFileError
      ? e.message
      : ((e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e)));
  warn({ code: "LOG_UNREADABLE", file: path, message: `${path}: not read (${reason})` });
}
