// `sigma nodes`: GET /nodes, the fleet's members, up or down, with their load.
import type { Command } from 'commander';
import type { FleetNodeJson } from '../apiTypes.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { plainTable } from '../plainTable.js';
import { painterFor } from '../terminalStyle.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface NodesOptions extends ConnectionOptions {
  json?: boolean;
}

export function nodesCommand(context: CliContext): Command {
  return clientCommand(
    'nodes',
    "list the fleet's nodes",
    'List the nodes of the fleet the daemon is in (started with --fleet): name, URL, up or down, running jobs, partitions and labels. A node is down a few seconds after it stops renewing its lease in etcd. Node token only.',
    ['sigma nodes', 'sigma nodes --json | jq ".nodes[] | select(.status == \\"down\\") | .name"'],
  )
    .option('--json', "print the API's answer as JSON")
    .action(async (options: NodesOptions) => {
      const client = clientFor(options, context);
      const answer = await client.json<{ fleet: string; nodes: FleetNodeJson[] }>('GET', '/nodes');
      if (options.json) {
        context.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        return;
      }
      const paint = painterFor(context.stdout, context.env);
      const rows = answer.nodes.map((node) => [
        node.name,
        node.status === 'up' ? paint('green', 'up') : paint('red', 'down'),
        node.url,
        node.runningJobs === null ? '-' : String(node.runningJobs),
        node.partitions.join(',') || '-',
        Object.entries(node.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(',') || '-',
      ]);
      context.stdout.write(plainTable(paint, ['NAME', 'STATUS', 'URL', 'JOBS', 'PARTITIONS', 'LABELS'], rows));
      if (answer.fleet === 'unreachable') context.stdout.write('etcd did not answer: this is what the node last knew\n');
    });
}
