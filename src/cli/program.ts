import { createRequire } from "node:module";
import { Command } from "@commander-js/extra-typings";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/** Where the program writes; injected so tests run it in-process. */
export interface ProgramIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The `spec-kitty` command tree. The telemetry and orchestrate commands hang off this root. */
export function buildProgram(io: ProgramIo): Command {
  return new Command("spec-kitty")
    .description(
      "Record what every AI coding-agent invocation did and cost, beside each feature's specs.",
    )
    .version(version)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .addHelpText(
      "after",
      "\nEvents live in kitty-specs/<feature>/execution.events.jsonl; see the README for the library API.",
    );
}
