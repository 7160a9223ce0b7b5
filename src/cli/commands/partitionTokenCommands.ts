// `sigma partition token create|ls|rm`: the tokens that reach one partition only
// (POST, GET, DELETE /partitions/{name}/tokens). The node token is needed for all three.
import { Command } from 'commander';
import type { PartitionTokenJson } from '../apiTypes.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { formatRelative } from '../displayValues.js';
import { plainTable } from '../plainTable.js';
import { painterFor } from '../terminalStyle.js';
import { displayable, jsonText } from '../terminalText.js';
import { withUsageErrors } from '../programRun.js';
import { clientCommand, clientFor, withConnectionOptions } from './clientCommand.js';

interface TokenCreateOptions extends ConnectionOptions {
  label?: string;
  json?: boolean;
}

interface JsonOption extends ConnectionOptions {
  json?: boolean;
}

const tokensPath = (partition: string): string => `/partitions/${encodeURIComponent(partition)}/tokens`;

function tokenCreateCommand(context: CliContext): Command {
  return clientCommand(
    'partition token create',
    'make a token that reaches one partition only',
    "Make a token for one partition and print it on stdout, alone on its line: it is shown this once (the daemon keeps only its hash). With it, the command line and the dashboard see and operate that partition's processes only; node-wide requests are refused.",
    [
      'sigma partition token create lab --label ci',
      'export SIGMA_TOKEN=$(sigma partition token create lab)',
      'SIGMA_TOKEN=sigma_p_... sigma ps          (only the processes of lab)',
    ],
  )
    .argument('<partition>', 'the partition the token is for')
    .option('--label <label>', 'what the token is for, to tell it apart in `sigma partition token ls` (1 to 128 characters)')
    .option('--json', 'print the API\'s token object as JSON (the token included)')
    .action(async (partition: string, options: TokenCreateOptions) => {
      const client = clientFor(options, context);
      const body = options.label === undefined ? {} : { label: options.label };
      const created = (await client.json<{ tokens: PartitionTokenJson[] }>('POST', tokensPath(partition), body)).tokens[0] as PartitionTokenJson;
      if (options.json) {
        context.stdout.write(`${jsonText(created, 2)}\n`);
        return;
      }
      const shown = displayable(created);
      context.stdout.write(`${shown.token ?? ''}\n`);
      context.stderr.write(
        `sigma: token ${shown.id} for partition ${shown.partition}${shown.label ? ` (${shown.label})` : ''} created: it is shown only now; \`sigma partition token rm ${shown.partition} ${shown.id}\` revokes it\n`,
      );
    });
}

function tokenLsCommand(context: CliContext): Command {
  return clientCommand('partition token ls', "list a partition's tokens (never the tokens themselves)", "List a partition's tokens: id, label, when made. The tokens themselves were shown once, at their creation.", [
    'sigma partition token ls lab',
  ])
    .alias('list')
    .argument('<partition>', 'the partition')
    .option('--json', "print the API's token objects as JSON")
    .action(async (partition: string, options: JsonOption) => {
      const client = clientFor(options, context);
      const { tokens } = await client.json<{ tokens: PartitionTokenJson[] }>('GET', tokensPath(partition));
      if (options.json) {
        context.stdout.write(`${jsonText(tokens, 2)}\n`);
      } else if (tokens.length === 0) {
        context.stdout.write(`partition ${partition} has no tokens: \`sigma partition token create ${partition}\` makes one\n`);
      } else {
        const nowMs = Date.now();
        const rows = displayable(tokens).map((token) => [String(token.id), token.label ?? '-', `${token.createdAt} (${formatRelative(token.createdAt, nowMs)})`]);
        context.stdout.write(plainTable(painterFor(context.stdout, context.env), ['ID', 'LABEL', 'CREATED'], rows));
      }
    });
}

function tokenRmCommand(context: CliContext): Command {
  return clientCommand('partition token rm', 'revoke a partition token', 'Revoke a partition token at once: the next request made with it is refused (401).', ['sigma partition token rm lab 3'])
    .alias('revoke')
    .argument('<partition>', 'the partition')
    .argument('<id>', 'the token\'s id (`sigma partition token ls` lists them)')
    .action(async (partition: string, id: string, options: ConnectionOptions) => {
      const client = clientFor(options, context);
      await client.json('DELETE', `${tokensPath(partition)}/${encodeURIComponent(id)}`);
      context.stdout.write(`token ${id} of partition ${partition}: revoked\n`);
    });
}

export function partitionTokenCommand(context: CliContext): Command {
  const command = new Command('token')
    .summary('make, list and revoke partition tokens')
    .description('Partition tokens: each reaches one partition only (its processes, their logs and events, and the partition\'s operations).')
    .addCommand(withConnectionOptions(tokenCreateCommand(context)))
    .addCommand(withConnectionOptions(tokenLsCommand(context)))
    .addCommand(withConnectionOptions(tokenRmCommand(context)));
  return withUsageErrors(command, 'partition token');
}
