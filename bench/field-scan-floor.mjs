// The field-scan floor (issue 16): what a plain-Node scan costs that reads every log and sums
// only the fields the cost report needs, with dedup by event id, on two threads, and without
// validation beyond what the generated logs require to count like the report (a torn or
// non-JSON-looking line, and a token count written as a string, are skipped). Its counts and
// sums are checked against the report's by bench/run.ts, so that the floor stays honest.
// Plain JS run by node (not tsx). Usage: node bench/field-scan-floor.mjs <file>...
// Prints one JSON object: {events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens}.
import { open, stat } from "node:fs/promises";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const CHUNK = 1 << 20;
const THREADS = 2;
const NEWLINE = 0x0a;
const QUOTE = 0x22;
const key = (name) => Buffer.from(`"${name}": `, "latin1");
const EVENT_ID = key("event_id");
const INPUT = key("input_tokens");
const OUTPUT = key("output_tokens");
const CACHE_READ = key("cache_read_tokens");
const CACHE_WRITE = key("cache_write_tokens");

/** The integer after `at` (digits), 0 for null, -1 for anything else (a string: invalid). */
function count(buf, at, end) {
  if (at < 0 || at >= end) return 0;
  if (buf[at] === QUOTE) return -1;
  let n = 0;
  let i = at;
  while (i < end) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    i++;
  }
  return n;
}

/** Keys sorted: a top-level key before "models" is its first match, one after it its last. */
function first(buf, needle, start, end) {
  const at = buf.indexOf(needle, start);
  return at < 0 || at >= end ? -1 : at + needle.length;
}
function last(buf, needle, start, end) {
  const at = buf.lastIndexOf(needle, end - needle.length);
  return at < start ? -1 : at + needle.length;
}

async function scanFiles(paths) {
  const sums = {
    events: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
  };
  const buffer = Buffer.allocUnsafe(CHUNK * 2);
  for (const path of paths) {
    const ids = new Set();
    const file = await open(path, "r");
    let carry = 0; // bytes of a partial line kept at the buffer's start
    const line = (s, e) => {
      if (e - s < 2 || buffer[s] !== 0x7b || buffer[e - 1] !== 0x7d) return;
      const idAt = first(buffer, EVENT_ID, s, e);
      if (idAt < 0) return;
      const input = count(buffer, first(buffer, INPUT, s, e), e);
      const output = count(buffer, last(buffer, OUTPUT, s, e), e);
      const cacheRead = count(buffer, first(buffer, CACHE_READ, s, e), e);
      const cacheWrite = count(buffer, first(buffer, CACHE_WRITE, s, e), e);
      if (input < 0 || output < 0 || cacheRead < 0 || cacheWrite < 0) return;
      const id = buffer.latin1Slice(idAt + 1, buffer.indexOf(QUOTE, idAt + 1));
      if (ids.has(id)) return;
      ids.add(id);
      sums.events++;
      sums.input_tokens += input;
      sums.output_tokens += output;
      sums.cache_read_tokens += cacheRead;
      sums.cache_write_tokens += cacheWrite;
    };
    try {
      for (;;) {
        const { bytesRead } = await file.read(buffer, carry, CHUNK, null);
        const end = carry + bytesRead;
        let s = 0;
        for (;;) {
          const nl = buffer.indexOf(NEWLINE, s);
          if (nl < 0 || nl >= end) break;
          line(s, nl);
          s = nl + 1;
        }
        if (bytesRead === 0) {
          line(s, end);
          break;
        }
        // A line longer than a chunk is not an event the report counts either (16 MiB limit
        // aside, none is generated); its bytes are dropped.
        carry = end - s <= CHUNK ? end - s : 0;
        buffer.copy(buffer, 0, end - carry, end);
      }
    } finally {
      await file.close();
    }
  }
  return sums;
}

if (isMainThread) {
  const paths = process.argv.slice(2);
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  // Largest first onto the lighter thread: the two threads read about as many bytes.
  const shares = Array.from({ length: THREADS }, () => ({ bytes: 0, paths: [] }));
  for (const i of paths.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a])) {
    const lightest = shares.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.bytes += sizes[i];
    lightest.paths.push(paths[i]);
  }
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: share.paths });
          worker.once("message", resolve);
          worker.once("error", reject);
        }),
    ),
  );
  const total = {
    events: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
  };
  for (const r of results) for (const k of Object.keys(total)) total[k] += r[k];
  process.stdout.write(`${JSON.stringify(total)}\n`);
} else {
  parentPort.postMessage(await scanFiles(workerData));
}
