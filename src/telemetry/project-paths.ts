import { type BigIntStats, constants, type Stats } from "node:fs";
import { type FileHandle, open, realpath, rename, rm } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { CodedError } from "../events/errors.js";
import { randomBytes } from "./node-crypto.js";

/**
 * The one rule for every file telemetry opens (logs, clock file, index, pricing override, report
 * cache): nothing outside the project is read or written, and only regular files are read.
 * A symlink is followed for reading only when it stays inside the project; a file we write is
 * never a symlink (O_NOFOLLOW). O_NONBLOCK makes opening a FIFO return at once, so that the
 * fstat that follows can refuse it instead of hanging.
 */

export type UnsafeFileCode =
  | "PATH_OUTSIDE_PROJECT"
  | "NOT_A_REGULAR_FILE"
  | "SYMLINK_REFUSED"
  | "FILE_TOO_LARGE";

/** A file we refuse to open; the message names the path and why, never the file's content. */
export class UnsafeFileError extends CodedError<UnsafeFileCode> {}

/**
 * The log's name inside a feature folder (the Python spec-kitty's). Here, not in emit.ts (which
 * re-exports it), so that a report does not load the writer's code for a name.
 */
export const EVENT_LOG_FILE = "execution.events.jsonl";

/** Flags for reading: no hang on a FIFO, no following a symlink at the last step. */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
/** Flags for a file we create under a fresh name (a temp file): never an existing one. */
export const CREATE_NEW_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Flags for appending to a log we may create: never through a symlink. */
const APPEND_FLAGS =
  constants.O_RDWR |
  constants.O_APPEND |
  constants.O_CREAT |
  constants.O_NONBLOCK |
  constants.O_NOFOLLOW;

const FEATURES_SEGMENT = "kitty-specs";

/**
 * The project a path belongs to, read from the path as written (before any symlink): the folder
 * holding its last `kitty-specs/` segment, else the path's own folder.
 */
export function projectRootOf(path: string): string {
  const absolute = resolve(path);
  const parts = absolute.split(sep);
  const at = parts.lastIndexOf(FEATURES_SEGMENT);
  return at > 0 ? parts.slice(0, at).join(sep) || sep : dirname(absolute);
}

function isInside(real: string, realRoot: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** The real path of `path`, or null when it (or a folder on the way) does not exist. */
async function realOrNull(path: string): Promise<string | null> {
  return realpath(path).catch((e: unknown) => {
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
    throw e;
  });
}

/**
 * Throws unless the folder `dir` (symlinks resolved) lies inside `root`. For a folder still to be
 * made, its nearest existing ancestor is checked: `mkdir -p` would make it there.
 */
export async function assertFolderInside(dir: string, root: string): Promise<void> {
  let existing = resolve(dir);
  let real = await realOrNull(existing);
  while (real === null && dirname(existing) !== existing) {
    existing = dirname(existing);
    real = await realOrNull(existing);
  }
  if (real === null) return;
  if (!isInside(real, await realpath(root))) {
    throw new UnsafeFileError(
      "PATH_OUTSIDE_PROJECT",
      `${dir} leads outside the project ${root} (a symlink); nothing is read or written there`,
    );
  }
}

async function checkRegular(handle: FileHandle, path: string): Promise<void> {
  await refuseUnlessRegular(await handle.stat(), handle, path);
}

/** Throws (the handle closed) unless the stat is a regular file's. */
async function refuseUnlessRegular(
  stat: Stats | BigIntStats,
  handle: FileHandle,
  path: string,
): Promise<void> {
  if (stat.isFile()) return;
  await handle.close();
  const kind = stat.isDirectory()
    ? "a directory"
    : stat.isFIFO()
      ? "a FIFO"
      : stat.isSocket()
        ? "a socket"
        : "a device";
  throw new UnsafeFileError("NOT_A_REGULAR_FILE", `${path} is ${kind}, not a regular file`);
}

/**
 * Opens `path` for reading when it is a regular file inside `root` (default: its project);
 * null when it does not exist. Throws an `UnsafeFileError` for anything else.
 */
export async function openForRead(
  path: string,
  root: string = projectRootOf(path),
): Promise<FileHandle | null> {
  const handle = await openInside(path, root, () => realpath(root));
  if (handle !== null) await checkRegular(handle, path);
  return handle;
}

/** A file opened by `openStatForRead`, with its stat and when it was taken. */
export interface StatedFile {
  readonly handle: FileHandle;
  readonly stat: BigIntStats;
  /** `Date.now()` just before `stat` was taken (see `racyStamp`). */
  readonly statAtMs: number;
}

/**
 * `openForRead`, returning the stat the file was checked by (one stat, not two); `realRoot`
 * gives the root's real path, which a caller opening many files of one project resolves once.
 */
export async function openStatForRead(
  path: string,
  root: string,
  realRoot: () => Promise<string>,
): Promise<StatedFile | null> {
  const handle = await openInside(path, root, realRoot);
  if (handle === null) return null;
  const statAtMs = Date.now();
  const stat = await handle.stat({ bigint: true });
  await refuseUnlessRegular(stat, handle, path);
  return { handle, stat, statAtMs };
}

/** Opens `path` (not yet checked to be a regular file) when it lies inside the root. */
async function openInside(
  path: string,
  root: string,
  realRoot: () => Promise<string>,
): Promise<FileHandle | null> {
  const real = await realOrNull(path);
  if (real === null) return null;
  if (!isInside(real, await realRoot())) {
    throw new UnsafeFileError(
      "PATH_OUTSIDE_PROJECT",
      `${path} is a symlink that leads outside the project ${root}; it is not read`,
    );
  }
  // The resolved path, opened without following: a symlink swapped in meanwhile fails (ELOOP).
  let handle: FileHandle;
  try {
    handle = await open(real, READ_FLAGS);
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    if (errno(e) === "ELOOP") {
      throw new UnsafeFileError("SYMLINK_REFUSED", `${path} changed into a symlink while opened`);
    }
    throw e;
  }
  return handle;
}

/**
 * The whole text of a small file inside the project, or null when it does not exist. A file
 * over `maxBytes` is refused unread (FILE_TOO_LARGE), so a huge file costs nothing.
 */
export async function readSmallFile(
  path: string,
  options: { readonly root?: string; readonly maxBytes: number },
): Promise<string | null> {
  const handle = await openForRead(path, options.root);
  if (handle === null) return null;
  try {
    const { size } = await handle.stat();
    if (size > options.maxBytes) {
      throw new UnsafeFileError(
        "FILE_TOO_LARGE",
        `${path} is ${size} bytes, over the limit of ${options.maxBytes}`,
      );
    }
    // One byte more than allowed is asked for, so that a file growing meanwhile is caught too.
    const buffer = Buffer.allocUnsafe(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > options.maxBytes) {
        throw new UnsafeFileError(
          "FILE_TOO_LARGE",
          `${path} is over the limit of ${options.maxBytes} bytes`,
        );
      }
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Opens the log `path` for appending (created when missing): its folder must lie inside `root`,
 * and the file itself must be a regular file, not a symlink.
 */
export async function openForAppend(
  path: string,
  root: string = projectRootOf(path),
): Promise<FileHandle> {
  await assertFolderInside(dirname(path), root);
  let handle: FileHandle;
  try {
    handle = await open(path, APPEND_FLAGS, 0o644);
  } catch (e) {
    if (errno(e) === "ELOOP") {
      throw new UnsafeFileError(
        "SYMLINK_REFUSED",
        `${path} is a symlink; it is never written through`,
      );
    }
    throw e;
  }
  await checkRegular(handle, path);
  return handle;
}

/**
 * Replaces the small file `path` atomically: a fresh temp file beside it, renamed over it. A
 * rename replaces a symlink itself, so unlike write-file-atomic (which writes to a symlink's
 * target) this never writes outside the folder. The folder must lie inside `root`.
 */
export async function replaceFile(
  path: string,
  text: string,
  root: string = projectRootOf(path),
): Promise<void> {
  await assertFolderInside(dirname(path), root);
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, CREATE_NEW_FLAGS, 0o644);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
