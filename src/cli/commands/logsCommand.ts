// `sigma logs ID|NAME [--stderr] [--tail N] [--follow]`: GET /processes/{id}/logs, copied to stdout.
import type { Command } from 'commander';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { fetchProcess } from '../processRef.js';
import { escapeControls } from '../terminalText.js';
import { clientCommand, clientFor, integerArgument } from './clientCommand.js';

interface LogsOptions extends ConnectionOptions {
  stderr?: boolean;
  tail?: number;
  follow?: boolean;
}

export function logsCommand(context: CliContext): Command {
  return clientCommand('logs', "print or follow a process's output", "Print a process's output as the daemon keeps it (the rotated copy, then the current file).", [
    'sigma logs ticker',
    'sigma logs ticker --tail 20 --follow      (Ctrl-C ends it)',
    'sigma logs 3 --stderr',
  ])
    .argument('<process>', 'id or name')
    .option('--stderr', 'the standard error instead of the standard output')
    .option('--tail <n>', 'only the last <n> lines', integerArgument(0, 100_000))
    .option('-f, --follow', 'keep printing new output as it is written, until Ctrl-C')
    .action(async (ref: string, options: LogsOptions) => {
      const client = clientFor(options, context);
      const target = await fetchProcess(client, ref);
      const query = new URLSearchParams({ stream: options.stderr ? 'stderr' : 'stdout' });
      if (options.tail !== undefined) query.set('tail', String(options.tail));
      if (options.follow) query.set('follow', 'true');
      const { response, close } = await client.stream(`/processes/${target.id}/logs?${query}`);
      response.pipe(context.stdout, { end: false });
      const ended = new Promise<'ended'>((resolve) => response.once('close', () => resolve('ended')));
      const outcome = await Promise.race([ended, context.interrupted.then(() => 'interrupted' as const)]);
      if (outcome === 'interrupted') {
        close();
        return;
      }
      if (options.follow) {
        context.stderr.write(`sigma: the daemon ended the log stream of ${escapeControls(target.name)} (deleted, or the daemon stopped)\n`);
        return;
      }
      // A connection cut mid-answer also ends in 'close': only a complete answer is the whole log.
      if (!response.complete) {
        throw new CliError(
          EXIT.unreachable,
          `the connection to ${client.config.url.origin} was cut before the log of ${target.name} was complete: what is printed is only its beginning; try again`,
        );
      }
    });
}
