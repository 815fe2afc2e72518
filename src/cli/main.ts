#!/usr/bin/env node
import { CommanderError } from "commander";
import { buildProgram } from "./program.js";

// `spec-kitty ... | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});

// The one place that turns failures into an exit code.
const program = buildProgram({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`spec-kitty: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
