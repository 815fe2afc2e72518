// The read floor: the bytes of every file given, read in 1 MiB chunks with a FileHandle, and
// nothing else done with them. Prints the number of bytes read.
// Usage: node bench/read-floor.mjs <file>...
import { open } from "node:fs/promises";

const CHUNK = 1 << 20;
const buffer = Buffer.allocUnsafe(CHUNK);
let total = 0;
for (const path of process.argv.slice(2)) {
  const file = await open(path, "r");
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
  } finally {
    await file.close();
  }
}
process.stdout.write(`${total}\n`);
