// `sigma partition create|set|rm NAME`: POST /partitions, PUT /partitions/{name} with limits,
// DELETE /partitions/{name}. Limits that the node cannot enforce are said on stderr, not hidden.
import { InvalidArgumentError, type Command } from 'commander';
import type { PartitionJson } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { NAME_PATTERN, NAME_RULE } from '../definitionLimits.js';
import { limitsBody, withLimitOptions, type LimitOptions } from '../partitionLimitArguments.js';
import { limitsSummary, unenforcedNotes } from '../partitionTable.js';
import { painterFor } from '../terminalStyle.js';
import { escapeControls, jsonText } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface EditOptions extends ConnectionOptions, LimitOptions {
  json?: boolean;
}

function partitionName(text: string): string {
  if (!NAME_PATTERN.test(text)) throw new InvalidArgumentError(`must be ${NAME_RULE}`);
  return text;
}

function report(context: CliContext, verb: string, partition: PartitionJson, json: boolean | undefined): void {
  if (json) {
    context.stdout.write(`${jsonText(partition, 2)}\n`);
  } else {
    context.stdout.write(`${verb} partition ${escapeControls(partition.name)}: ${limitsSummary(partition)}\n`);
  }
  // A limit that does not hold is said even with --json (on stderr), so that no script takes it for enforced.
  for (const note of unenforcedNotes([partition], painterFor(context.stderr, context.env))) context.stderr.write(`sigma: warning: ${note}\n`);
}

export function partitionCreateCommand(context: CliContext): Command {
  const command = clientCommand(
    'partition create',
    'create a partition, with limits',
    'Create a partition. Every limit is optional and holds for all its jobs together: --max-running in slots (the daemon\'s own), --cpu, --memory and --pids in the partition\'s cgroup. The quotas --max-processes and --definition-bytes bound what its processes\' definitions take (a create past them is refused); left out, they are 1000 and 64Mi. A limit this node cannot enforce is reported as a warning (and in `sigma partition ls`).',
    [
      'sigma partition create lab',
      'sigma partition create lab --max-running 2 --cpu 0.5 --memory 256Mi --pids 64',
      'sigma partition create lab --max-processes 50 --definition-bytes 4Mi',
      'sigma create crunch --partition lab -- ./crunch.sh',
    ],
  ).argument('<name>', 'letters, digits, _, - and .', partitionName);
  return withLimitOptions(command, false)
    .option('--json', "print the API's partition object as JSON")
    .action(async (name: string, options: EditOptions) => {
      const client = clientFor(options, context);
      const answer = await client.json<{ partitions: PartitionJson[] }>('POST', '/partitions', { name, ...limitsBody(options) });
      report(context, 'created', answer.partitions[0] as PartitionJson, options.json);
    });
}

export function partitionSetCommand(context: CliContext): Command {
  const command = clientCommand(
    'partition set',
    'change the limits of a partition',
    'Change the limits of a partition; the limits not given keep theirs, and "none" removes one. Raising --max-running hands the freed slots out at once; lowering it never ends a running job (new ones wait).',
    [
      'sigma partition set lab --max-running 4',
      'sigma partition set lab --memory 1Gi --cpu none',
      'sigma partition set default --max-running 8',
      'sigma partition set lab --max-processes 5000 --definition-bytes 256Mi',
    ],
  ).argument('<name>', 'the partition');
  return withLimitOptions(command, true)
    .option('--json', "print the API's partition object as JSON")
    .action(async (name: string, options: EditOptions) => {
      const body = limitsBody(options);
      if (Object.keys(body).length === 0) {
        throw new CliError(EXIT.usage, 'give at least one limit to change: --max-running, --cpu, --memory, --pids, --max-processes or --definition-bytes (see `sigma partition set --help`)');
      }
      const client = clientFor(options, context);
      const answer = await client.json<{ partitions: PartitionJson[] }>('PUT', `/partitions/${encodeURIComponent(name)}`, body);
      report(context, 'updated', answer.partitions[0] as PartitionJson, options.json);
    });
}

export function partitionRmCommand(context: CliContext): Command {
  return clientCommand('partition rm', 'delete empty partitions', 'Delete partitions that have no processes left; their tokens are revoked with them. The partition default is never deleted.', [
    'sigma partition rm lab',
    'sigma rm $(sigma ps --partition lab --json | jq -r ".[].id") && sigma partition rm lab',
  ])
    .alias('delete')
    .argument('<name...>', 'the partitions')
    .action(async (names: string[], options: ConnectionOptions) => {
      const client = clientFor(options, context);
      let firstFailure: CliError | null = null;
      for (const name of names) {
        try {
          await client.json('DELETE', `/partitions/${encodeURIComponent(name)}`);
          context.stdout.write(`partition ${name}: deleted\n`);
        } catch (error) {
          if (!(error instanceof CliError) || error.exitCode === EXIT.unreachable || error.exitCode === EXIT.unauthorized) throw error;
          context.stderr.write(`sigma: partition ${name}: ${error.message}\n`);
          firstFailure ??= error;
        }
      }
      if (firstFailure) throw new CliError(firstFailure.exitCode, '');
    });
}
