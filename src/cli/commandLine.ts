// The `sigma` command line: `sigma serve` runs the daemon; every other command is a client of
// its API over HTTP(S).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { applyCommand } from './commands/applyCommand.js';
import { CONNECTION_HELP, withConnectionOptions } from './commands/clientCommand.js';
import { createCommand } from './commands/createCommand.js';
import { logsCommand } from './commands/logsCommand.js';
import { nodesCommand } from './commands/nodesCommand.js';
import { operationCommand, rmCommand } from './commands/operationCommands.js';
import { partitionCommand, partitionsCommand } from './commands/partitionCommand.js';
import { psCommand } from './commands/psCommand.js';
import { showCommand } from './commands/showCommand.js';
import { watchCommand } from './commands/watchCommand.js';
import { EXIT } from './cliExit.js';
import type { CliContext } from './cliContext.js';
import { serveCommand } from './serveCommand.js';
import { runProgram, withUsageErrors } from './programRun.js';

/** The conventional status of a command ended by a second Ctrl-C (128 + SIGINT). */
const FORCED_EXIT_CODE = 130;

let interruption: Promise<void> | null = null;
const context: CliContext = {
  env: process.env,
  cwd: process.cwd(),
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
  // Installed only when a streaming command asks, so that Ctrl-C ends every other command at once.
  get interrupted(): Promise<void> {
    interruption ??= new Promise<void>((resolve) => {
      let signalled = false;
      const onSignal = (): void => {
        if (signalled) process.exit(FORCED_EXIT_CODE);
        signalled = true;
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    return interruption;
  },
};

const EXIT_CODES_HELP = `
Exit status:
  ${EXIT.ok}  success
  ${EXIT.failed}  an operation's result was FAILED (the reason is on stderr); \`sigma serve\`: the daemon cannot start
  ${EXIT.usage}  usage error (unknown command or flag, bad value, invalid apply file, no --token for another --url)
  ${EXIT.notFound}  no process has that id or name, or no partition that name
  ${EXIT.unauthorized}  the token was refused, or there is none, or it may not do this (a partition token outside its partition)
  ${EXIT.unreachable}  the daemon cannot be reached (not running, wrong URL, certificate not trusted)
  ${EXIT.apiError}  another error answered by the daemon (name taken, invalid definition, shutting down, ...)
${CONNECTION_HELP}

Examples:
  sigma serve                                        run the daemon (in another terminal)
  sigma create ticker --periodic 1000 --start -- date -u
  sigma ps
  sigma logs ticker --follow
  sigma apply -f sigma.yaml --dry-run
  sigma partition create lab --max-running 2 --memory 256Mi
  sigma create crunch --partition lab -- ./crunch.sh
`;

const program = withUsageErrors(new Command('sigma'), '')
  .description('sigma: a process manager for a node, driven through the SIGMA Process Manager API')
  .version(packageVersion(), '-V, --version')
  .addCommand(withUsageErrors(serveCommand(), 'serve'))
  .addCommand(withConnectionOptions(psCommand(context)))
  .addCommand(withConnectionOptions(createCommand(context)))
  .addCommand(withConnectionOptions(operationCommand('START', context)))
  .addCommand(withConnectionOptions(operationCommand('SUSPEND', context)))
  .addCommand(withConnectionOptions(operationCommand('RESUME', context)))
  .addCommand(withConnectionOptions(operationCommand('STOP', context)))
  .addCommand(withConnectionOptions(rmCommand(context)))
  .addCommand(withConnectionOptions(showCommand(context)))
  .addCommand(withConnectionOptions(logsCommand(context)))
  .addCommand(withConnectionOptions(watchCommand(context)))
  .addCommand(withConnectionOptions(applyCommand(context)))
  .addCommand(partitionCommand(context))
  .addCommand(partitionsCommand(context))
  .addCommand(withConnectionOptions(nodesCommand(context)))
  .addHelpText('after', EXIT_CODES_HELP)
  .hook('preAction', (_program, command) => {
    // `sigma ps | head`: a closed stdout ends a client command quietly. (`sigma serve` keeps its own rule.)
    if (command.name() !== 'serve') {
      process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? EXIT.ok : EXIT.failed));
    }
  });

runProgram(program);

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
