// The common shape of every client command: connection options, usage errors that exit 2 with a
// pointer to the command's help, and examples after its help.
import { Command, InvalidArgumentError } from 'commander';
import { buildClientConfig, CLIENT_DEFAULTS, type ConnectionOptions } from '../clientConfig.js';
import type { CliContext } from '../cliContext.js';
import { withUsageErrors } from '../programRun.js';
import { SigmaClient } from '../sigmaClient.js';

/** `path`: the words after `sigma`, e.g. "ps" or "partition create"; the last one is the command's name. */
export function clientCommand(path: string, summary: string, description: string, examples: string[]): Command {
  const name = path.split(' ').at(-1) ?? path;
  const command = new Command(name)
    .summary(summary)
    .description(description)
    .addHelpText('after', `\nExamples:\n${examples.map((line) => `  ${line}`).join('\n')}\n`);
  return withUsageErrors(command, path);
}

/** Where the token goes, and where it never goes: after the help of sigma and of every client command. */
export const CONNECTION_HELP = `
Connection (every command but serve): --url / SIGMA_URL, else the url in <data-dir>/daemon.json,
else ${CLIENT_DEFAULTS.url}; --token / SIGMA_TOKEN, else <data-dir>/token; --cacert / SIGMA_CACERT,
else <data-dir>/tls/cert.pem; --data-dir / SIGMA_DATA_DIR, else ${CLIENT_DEFAULTS.dataDir}.
The data dir's token and certificate are used only for the URL that data dir gives (its daemon.json,
or the default URL when it has none): with another --url or SIGMA_URL, pass --token or SIGMA_TOKEN
(exit 2 otherwise). No token is ever sent over http:// to a host other than 127.0.0.1, ::1 or localhost.`;

/** Adds --url, --token, --cacert and --data-dir, listed after the command's own options. */
export function withConnectionOptions(command: Command): Command {
  return command
    .optionsGroup('Connection:')
    .option('--url <url>', `the daemon's URL (env SIGMA_URL; default: the url in <data-dir>/daemon.json, else ${CLIENT_DEFAULTS.url})`)
    .option('--token <token>', "the node token or a partition token (env SIGMA_TOKEN; default: <data-dir>/token, for that data dir's own URL only)")
    .option('--cacert <file>', "the daemon's certificate to trust for https (env SIGMA_CACERT; default: <data-dir>/tls/cert.pem, for that data dir's own URL only)")
    .option('--data-dir <dir>', `the local daemon's data dir (env SIGMA_DATA_DIR; default ${CLIENT_DEFAULTS.dataDir})`)
    .addHelpText('after', CONNECTION_HELP.trimStart());
}

export function clientFor(options: ConnectionOptions, context: CliContext): SigmaClient {
  return new SigmaClient(buildClientConfig(options, context.env, context.cwd));
}

/** A commander argument parser for a whole number in [min, max]; `orElse` names what else the flag takes. */
export function integerArgument(min: number, max: number, unit = '', orElse = '') {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new InvalidArgumentError(`must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}${orElse}`);
    }
    return Number(text);
  };
}

/** A commander argument parser for one of a set of words, case-insensitive; returns it upper-cased. */
export function choiceArgument(choices: readonly string[], aliases: Record<string, string> = {}) {
  return (text: string): string => {
    const upper = text.toUpperCase();
    const value = aliases[upper] ?? upper;
    if (!choices.includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}`);
    return value;
  };
}
