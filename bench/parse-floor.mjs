// The parse floor: a plain single-threaded loop that reads each file given in 1 MiB chunks,
// splits on "\n" (carrying the partial last line) and JSON.parses every non-empty line.
// Plain JS run by node (not tsx), so that the floor pays Node's startup and nothing more.
// Usage: node bench/parse-floor.mjs <file>... ; prints the number of lines that parsed.
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";

const CHUNK = 1 << 20;

async function parseFile(path) {
  const file = await open(path, "r");
  const buffer = Buffer.allocUnsafe(CHUNK);
  // Keeps a UTF-8 sequence cut by a chunk boundary whole.
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let parsed = 0;
  const parseLine = (line) => {
    if (line.length === 0) return;
    try {
      JSON.parse(line);
      parsed++;
    } catch {
      // a malformed line: skipped, as a reader skips it
    }
  };
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const lines = (carry + decoder.write(buffer.subarray(0, bytesRead))).split("\n");
      carry = lines.pop() ?? "";
      for (const line of lines) parseLine(line);
    }
    parseLine(carry + decoder.end());
  } finally {
    await file.close();
  }
  return parsed;
}

let total = 0;
for (const path of process.argv.slice(2)) total += await parseFile(path);
process.stdout.write(`${total}\n`);
