// `sigma create NAME [options] -- CMD [ARGS...]`: POST /processes.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PARTITION } from '../../core/partition.js';
import { DEFINITION_LIMITS as LIMITS, ENV_NAME_PATTERN } from '../definitionLimits.js';
import type { ProcessJson } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { formatMs } from '../displayValues.js';
import { displayable, jsonText } from '../terminalText.js';
import { clientCommand, clientFor, integerArgument } from './clientCommand.js';

interface CreateOptions extends ConnectionOptions {
  periodic?: number;
  cwd?: string;
  env?: Record<string, string>;
  stopTimeout?: number;
  start?: boolean;
  partition?: string;
  json?: boolean;
}

function collectEnv(text: string, env: Record<string, string> | undefined): Record<string, string> {
  const equals = text.indexOf('=');
  const name = equals < 0 ? text : text.slice(0, equals);
  if (equals < 0 || !ENV_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError('must be NAME=VALUE, the name letters, digits and _, not starting with a digit');
  }
  return { ...env, [name]: text.slice(equals + 1) };
}

export function createCommand(context: CliContext): Command {
  return clientCommand('create', 'create a process, optionally started at once', 'Create a process (DORMANT, or started with --start). The command runs without a shell.', [
    'sigma create web --start -- python3 -m http.server 8000',
    'sigma create ticker --periodic 1000 --start -- date -u',
    "sigma create backup --periodic 3600000 --cwd /srv --env TARGET=/mnt/b --stop-timeout 30000 -- sh -c 'tar czf \"$TARGET/srv.tgz\" .'",
    'sigma create fibonacci     (no command: runs <data-dir>/programs/fibonacci)',
    'sigma create crunch --partition lab --start -- ./crunch.sh',
  ])
    .argument('<name>', 'unique on the node: letters, digits, _, - and .')
    .argument('[command...]', "the argv to run, after --; default: the executable named NAME in the daemon's programs dir")
    .option('--periodic <ms>', 'make it PERIODIC, released every <ms> milliseconds', integerArgument(1, LIMITS.maxPeriodMs, 'milliseconds'))
    .option('--cwd <dir>', 'working directory of its jobs (made absolute here; default: the daemon\'s)')
    .option('--env <NAME=VALUE>', 'a variable for its jobs (repeat for more)', collectEnv)
    .option('--stop-timeout <ms>', `grace between SIGTERM and SIGKILL on STOP (default ${LIMITS.defaultStopTimeoutMs})`, integerArgument(0, LIMITS.maxStopTimeoutMs, 'milliseconds'))
    .option('--partition <partition>', "the partition it belongs to, for good (default: default; with a partition token: the token's own)")
    .option('--start', 'start it at once (created with state RUNNING)')
    .option('--json', "print the API's process object as JSON")
    .action(async (name: string, command: string[], options: CreateOptions) => {
      const client = clientFor(options, context);
      const body: Record<string, unknown> = { name };
      if (options.periodic !== undefined) Object.assign(body, { type: 'PERIODIC', period: options.periodic });
      if (command.length > 0) body.command = command;
      if (options.cwd !== undefined) body.cwd = resolve(context.cwd, options.cwd);
      if (options.env) body.env = options.env;
      if (options.stopTimeout !== undefined) body.stopTimeoutMs = options.stopTimeout;
      if (options.partition !== undefined) body.partition = options.partition;
      if (options.start) body.state = 'RUNNING';
      const created = (await client.json<{ processes: ProcessJson[] }>('POST', '/processes', body)).processes[0] as ProcessJson;
      if (options.json) {
        context.stdout.write(`${jsonText(created, 2)}\n`);
      } else {
        const shown = displayable(created);
        context.stdout.write(`created ${shown.id} ${shown.name} (${kindOf(shown)})${inPartition(shown)}: ${shown.state}\n`);
      }
      if (options.start && created.state === 'DORMANT') {
        throw new CliError(EXIT.failed, `${created.name} was created but did not start: ${created.lastExit?.error ?? 'no reason given'}`);
      }
    });
}

/** Said only off the default partition, where most processes live. */
function inPartition(created: ProcessJson): string {
  return created.partition === DEFAULT_PARTITION ? '' : ` in partition ${created.partition}`;
}

function kindOf(created: ProcessJson): string {
  return created.period === null ? created.type : `${created.type} every ${formatMs(created.period)}`;
}
