import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { CodedError } from "../events/errors.js";

/** A price source that cannot be read: one line on stderr, exit 1, nothing written. */
export class PriceSourceError extends CodedError<"PRICING_SOURCE_UNREADABLE"> {
  constructor(message: string) {
    super("PRICING_SOURCE_UNREADABLE", message);
  }
}

/** How long and how much a price source may take: LiteLLM's whole file is about 1.6 MB. */
export interface SourceLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export const SOURCE_LIMITS: SourceLimits = { timeoutMs: 30_000, maxBytes: 32 << 20 };

const fail = (message: string) => new PriceSourceError(message);

async function readUrl(url: string, limits: SourceLimits): Promise<string> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: "follow" });
    if (!response.ok) throw fail(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > limits.maxBytes) throw fail(`${url}: larger than ${limits.maxBytes} bytes`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    // Counted as it arrives: a server may send more than it declared, or declare nothing.
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > limits.maxBytes) {
        await response.body?.cancel();
        throw fail(`${url}: larger than ${limits.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    if (e instanceof PriceSourceError) throw e;
    if (signal.aborted) throw fail(`${url}: no answer within ${limits.timeoutMs / 1000} s`);
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw fail(`${url}: could not be fetched (${cause})`);
  }
}

async function readPath(path: string, from: string, limits: SourceLimits): Promise<string> {
  try {
    const handle = await open(path, "r");
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw fail(`${from}: not a regular file`);
      if (stat.size > limits.maxBytes) throw fail(`${from}: larger than ${limits.maxBytes} bytes`);
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof PriceSourceError) throw e;
    throw fail(`${from}: could not be read (${(e as Error).message})`);
  }
}

/** The text of `from`: an http(s) URL fetched with a timeout and size cap, else a file path. */
export async function readPriceSource(
  from: string,
  cwd: string,
  limits: SourceLimits = SOURCE_LIMITS,
): Promise<string> {
  if (/^https?:\/\//i.test(from)) return readUrl(from, limits);
  return readPath(resolve(cwd, from), from, limits);
}
