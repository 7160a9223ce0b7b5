// How every `sigma` program reports a usage error, and how a run of one ends: the exit status
// of each kind of failure (the list is in \`sigma --help\`).
import { CommanderError, type Command } from 'commander';
import { CliError, EXIT } from './cliExit.js';
import { escapeControls } from './terminalText.js';

/**
 * Usage errors exit (status 2, by runProgram) with one line naming the command and its help; `path` ''
 * is `sigma` itself. `hint`: what to add to a usage error's message, if anything.
 */
export function withUsageErrors(command: Command, path: string, hint: (message: string) => string | null = () => null): Command {
  const words = path ? `sigma ${path}` : 'sigma';
  return command.exitOverride().configureOutput({
    outputError: (text, write) => {
      const message = text.replace(/^error: /, '').trimEnd();
      const added = hint(message);
      write(`${words}: ${message}${added ? `; ${added}` : ''} (see \`${words} --help\`)\n`);
    },
  });
}

/** Parses the arguments and runs the command; a failure ends the process with its exit status. */
export function runProgram(program: Command): void {
  void program.parseAsync(process.argv).catch((error: unknown) => {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help).
      const helpOrVersion = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      process.exit(helpOrVersion ? 0 : EXIT.usage);
    }
    if (error instanceof CliError) {
      if (error.message) process.stderr.write(`sigma: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`sigma: ${escapeControls(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  });
}
