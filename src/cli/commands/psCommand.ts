// `sigma ps` (alias `ls`): the processes as a table, or the API's objects with --json.
import type { Command } from 'commander';
import { PROCESS_TYPES, WIRE_STATES } from '../../core/processModel.js';
import type { ProcessJson } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { OUTPUT_ERROR_MARK, processTable } from '../processTable.js';
import { painterFor } from '../terminalStyle.js';
import { jsonText } from '../terminalText.js';
import { choiceArgument, clientCommand, clientFor } from './clientCommand.js';

interface PsOptions extends ConnectionOptions {
  json?: boolean;
  state?: string;
  type?: string;
  name?: string;
  partition?: string;
}

export function psCommand(context: CliContext): Command {
  return clientCommand(
    'ps',
    'list the processes',
    `List the processes: id, name, partition, type, period, state, pid, runs, last exit, next release. A ${OUTPUT_ERROR_MARK} after the state (RUNNING${OUTPUT_ERROR_MARK}) says that the output of its jobs cannot be written to its log now (a full disk, say): the jobs run, their output is dropped; \`sigma show\` says why.`,
    ['sigma ps', 'sigma ps --state running --type periodic', 'sigma ps --partition lab', 'sigma ps --name ticker --json'],
  )
    .alias('ls')
    .option('--json', "print the API's process objects as JSON")
    .option('--state <state>', `only processes in this state: ${WIRE_STATES.join(', ')} (SUSPENDED too)`, choiceArgument(WIRE_STATES, { SUSPENDED: 'SUSPENDEND' }))
    .option('--type <type>', `only processes of this type: ${PROCESS_TYPES.join(', ')}`, choiceArgument(PROCESS_TYPES))
    .option('--name <name>', 'only the process of this name')
    .option('--partition <partition>', 'only the processes of this partition (a partition token sees only its own anyway)')
    .action(async (options: PsOptions) => {
      const client = clientFor(options, context);
      const query = new URLSearchParams();
      if (options.name !== undefined) query.set('process_name', options.name);
      if (options.state) query.set('state', options.state);
      if (options.type) query.set('type', options.type);
      if (options.partition !== undefined) query.set('partition', options.partition);
      const path = `/processes${query.size ? `?${query}` : ''}`;
      let processes: ProcessJson[];
      try {
        processes = (await client.json<{ processes: ProcessJson[] }>('GET', path)).processes;
      } catch (error) {
        // A name that matches nothing is an empty list here, as every other filter.
        if (!(error instanceof CliError && error.exitCode === EXIT.notFound && options.name !== undefined)) throw error;
        processes = [];
      }
      if (options.json) {
        context.stdout.write(`${jsonText(processes, 2)}\n`);
      } else if (processes.length === 0) {
        context.stdout.write(query.size ? 'no process matches\n' : 'no processes yet: create one with `sigma create NAME -- COMMAND`\n');
      } else {
        context.stdout.write(processTable(processes, Date.now(), painterFor(context.stdout, context.env)));
      }
    });
}
