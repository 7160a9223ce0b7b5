// `sigma partition ...`: the partitions of the node, their limits, their operations and their
// tokens; and `sigma partitions`, short for `sigma partition ls`.
import { Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { withUsageErrors } from '../programRun.js';
import { withConnectionOptions } from './clientCommand.js';
import { partitionCreateCommand, partitionRmCommand, partitionSetCommand } from './partitionEditCommands.js';
import { partitionOperationCommand } from './partitionOperationCommand.js';
import { partitionLsCommand, partitionShowCommand } from './partitionReadCommands.js';
import { partitionTokenCommand } from './partitionTokenCommands.js';

const PARTITION_HELP = `
Every process belongs to one partition, chosen at its creation (\`sigma create NAME --partition P\`),
default \`default\`. A partition's limits hold for all its jobs together; a partition token
(\`sigma partition token create P\`) reaches that partition only.

Examples:
  sigma partitions                                         the list (same as sigma partition ls)
  sigma partition create lab --max-running 2 --memory 256Mi --cpu 0.5
  sigma partition set lab --pids 64 --cpu none
  sigma partition stop lab                                 STOP each of its processes
  sigma partition token create lab --label ci              prints the token, once
  sigma partition rm lab
`;

export function partitionCommand(context: CliContext): Command {
  const command = new Command('partition')
    .summary('partitions: groups of processes with shared limits and their own tokens')
    .description('Manage partitions: groups of processes with limits shared by their jobs (slots, CPU, memory, tasks), operations on all their processes at once, and tokens that reach one partition only.')
    .addCommand(withConnectionOptions(partitionLsCommand(context).alias('list')))
    .addCommand(withConnectionOptions(partitionShowCommand(context)))
    .addCommand(withConnectionOptions(partitionCreateCommand(context)))
    .addCommand(withConnectionOptions(partitionSetCommand(context)))
    .addCommand(withConnectionOptions(partitionRmCommand(context)))
    .addCommand(withConnectionOptions(partitionOperationCommand('START', context)))
    .addCommand(withConnectionOptions(partitionOperationCommand('STOP', context)))
    .addCommand(withConnectionOptions(partitionOperationCommand('SUSPEND', context)))
    .addCommand(withConnectionOptions(partitionOperationCommand('RESUME', context)))
    .addCommand(partitionTokenCommand(context))
    .addHelpText('after', PARTITION_HELP);
  return withUsageErrors(command, 'partition');
}

/** `sigma partitions`: the list, as `sigma partition ls`. */
export function partitionsCommand(context: CliContext): Command {
  return withConnectionOptions(partitionLsCommand(context, 'partitions'));
}
