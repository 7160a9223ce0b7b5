// What a client command gets from the outside world, handed down from main (the one reader of
// process.env and the streams).
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The words typed after `sigma`. */
  readonly argv: readonly string[];
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Resolves when the user asks to end a streaming command (Ctrl-C, SIGTERM). */
  readonly interrupted: Promise<void>;
}
