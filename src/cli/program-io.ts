/** The program's world, injected so tests run it in-process with fixed streams, cwd and env. */
export interface ProgramIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Width for tables when stdout is a terminal; undefined when it is not. */
  readonly columns?: number | undefined;
  /** Whether stderr is a terminal (progress indicators are shown only then). */
  readonly stderrIsTty?: boolean | undefined;
  /** Now, in epoch milliseconds (relative dates like `7d` and `today`); default the system clock. */
  readonly now?: (() => number) | undefined;
  /** How other programs (git's merge driver) start this one; default: this process's command. */
  readonly selfCommand?: readonly string[] | undefined;
  /** The whole of stdin, read when a command asks for it (a hook's input); none when absent. */
  readonly stdin?: (() => Promise<string>) | undefined;
}
