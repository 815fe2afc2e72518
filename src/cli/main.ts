#!/usr/bin/env node
import { runCli } from "./program.js";

// `spec-kitty ... | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});

/** All of stdin (a hook's JSON); nothing when it is a terminal, so that a person is not kept waiting. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

// The one place that sets the exit code.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  stderrIsTty: process.stderr.isTTY,
  stdin: readStdin,
});
