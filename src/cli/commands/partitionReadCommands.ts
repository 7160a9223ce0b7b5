// `sigma partition ls` and `sigma partition show NAME`: GET /partitions, GET /partitions/{name}.
import type { Command } from 'commander';
import type { PartitionJson } from '../apiTypes.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { partitionFields, partitionTable, unenforcedNotes, UNENFORCED_MARK } from '../partitionTable.js';
import type { SigmaClient } from '../sigmaClient.js';
import { painterFor } from '../terminalStyle.js';
import { jsonText } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface JsonOption extends ConnectionOptions {
  json?: boolean;
}

async function fetchPartition(client: SigmaClient, name: string): Promise<PartitionJson> {
  const answer = await client.json<{ partitions: PartitionJson[] }>('GET', `/partitions/${encodeURIComponent(name)}`);
  const found = answer.partitions[0];
  if (!found) throw new Error(`GET /partitions/${name} answered no partition`);
  return found;
}

/** `path`: "partition ls", or "partitions" for the short form. */
export function partitionLsCommand(context: CliContext, path = 'partition ls'): Command {
  return clientCommand(
    path,
    'list the partitions, their limits and counts',
    `List the partitions: processes, jobs running (holding a slot), and the limits. A ${UNENFORCED_MARK} after a limit, and the UNENFORCED column, say that the limit is set but this node does not enforce it; why is printed under the table. A partition token sees only its own partition.`,
    ['sigma partition ls', 'sigma partitions', 'sigma partition ls --json | jq ".[] | {name, usage}"'],
  )
    .option('--json', "print the API's partition objects as JSON")
    .action(async (options: JsonOption) => {
      const client = clientFor(options, context);
      const { partitions } = await client.json<{ partitions: PartitionJson[] }>('GET', '/partitions');
      if (options.json) {
        context.stdout.write(`${jsonText(partitions, 2)}\n`);
        return;
      }
      const paint = painterFor(context.stdout, context.env);
      context.stdout.write(partitionTable(partitions, paint));
      const notes = unenforcedNotes(partitions, paint);
      if (notes.length > 0) context.stdout.write(`\n${notes.map((note) => `${UNENFORCED_MARK} ${note}\n`).join('')}`);
    });
}

export function partitionShowCommand(context: CliContext): Command {
  return clientCommand('partition show', 'the limits, counts and usage of a partition', "Show a partition: its limits, its processes and running jobs, what its cgroup has used, and every limit that does not hold on this node, with why.", [
    'sigma partition show lab',
    'sigma partition show lab --json | jq .usage',
    'sigma ps --partition lab          (its processes)',
  ])
    .argument('<name>', 'the partition')
    .option('--json', "print the API's partition object as JSON")
    .action(async (name: string, options: JsonOption) => {
      const client = clientFor(options, context);
      const partition = await fetchPartition(client, name);
      if (options.json) context.stdout.write(`${jsonText(partition, 2)}\n`);
      else context.stdout.write(partitionFields(partition, Date.now(), painterFor(context.stdout, context.env)));
    });
}
