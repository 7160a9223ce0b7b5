// `sigma create NAME [options] -- CMD [ARGS...]`: POST /processes.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PARTITION } from '../../core/partition.js';
import { DEFINITION_LIMITS as LIMITS, ENV_NAME_PATTERN, RESTART_POLICY_NAMES } from '../definitionLimits.js';
import { durationArgument, restartLimitArgument } from '../durationArgument.js';
import type { ProcessJson } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { formatMs } from '../displayValues.js';
import { displayable, jsonText } from '../terminalText.js';
import { withUsageErrors } from '../programRun.js';
import { clientCommand, clientFor, integerArgument } from './clientCommand.js';
import { jobArgumentsHint } from './jobArgumentsHint.js';

interface CreateOptions extends ConnectionOptions {
  periodic?: number;
  cwd?: string;
  env?: Record<string, string>;
  stopTimeout?: number;
  start?: boolean;
  partition?: string;
  json?: boolean;
  restart?: string;
  restartDelay?: number;
  restartMaxDelay?: number;
  restartLimit?: { count: number; windowMs: number };
  nice?: number;
  timeCapacity?: number;
  onDeadlineMiss?: string;
  node?: string;
  label?: Record<string, string>;
  relocatable?: boolean;
}

function niceArgument(text: string): number {
  if (!/^-?\d+$/.test(text) || Number(text) < -20 || Number(text) > 19) throw new InvalidArgumentError('must be a whole number from -20 (highest priority) to 19 (lowest)');
  return Number(text);
}

function deadlineMissArgument(text: string): string {
  if (text !== 'log' && text !== 'stop') throw new InvalidArgumentError('must be log (the job runs on) or stop (the job is ended as STOP ends it)');
  return text;
}

function restartPolicyArgument(text: string): string {
  if (!(RESTART_POLICY_NAMES as readonly string[]).includes(text)) throw new InvalidArgumentError(`must be one of ${RESTART_POLICY_NAMES.join(', ')}`);
  return text;
}

/** The `restart` object of the request, or undefined when no --restart flag was given. */
function restartOf(options: CreateOptions): Record<string, unknown> | undefined {
  const tuning = { delayMs: options.restartDelay, maxDelayMs: options.restartMaxDelay, limit: options.restartLimit };
  const tuned = Object.entries(tuning).filter(([, value]) => value !== undefined);
  if (options.restart === undefined) {
    if (tuned.length > 0) throw new CliError(EXIT.usage, '--restart-delay, --restart-max-delay and --restart-limit need --restart on-failure|always');
    return undefined;
  }
  return { policy: options.restart, ...Object.fromEntries(tuned) };
}

function collectLabel(text: string, labels: Record<string, string> | undefined): Record<string, string> {
  const equals = text.indexOf('=');
  if (equals < 1) throw new InvalidArgumentError('must be KEY=VALUE, a label of the node (sigma nodes lists them)');
  return { ...labels, [text.slice(0, equals)]: text.slice(equals + 1) };
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
  const command = clientCommand('create', 'create a process, optionally started at once', 'Create a process (DORMANT, or started with --start). The command runs without a shell.', [
    'sigma create web --start -- python3 -m http.server 8000',
    'sigma create ticker --periodic 1000 --start -- date -u',
    "sigma create backup --periodic 3600000 --cwd /srv --env TARGET=/mnt/b --stop-timeout 30000 -- sh -c 'tar czf \"$TARGET/srv.tgz\" .'",
    'sigma create fibonacci     (no command: runs <data-dir>/programs/fibonacci)',
    'sigma create crunch --partition lab --start -- ./crunch.sh',
    'sigma create worker --restart on-failure --restart-delay 1s --restart-max-delay 1m --restart-limit 5/1m --start -- ./worker',
    'sigma create sampler --periodic 100 --time-capacity 50ms --on-deadline-miss stop --start -- ./sample',
    'sigma create probe --node rig-b --start -- ./probe             (in a fleet: on node rig-b)',
    'sigma create logger --label room=lab --relocatable --start -- ./log   (the least loaded node with room=lab)',
  ])
    .argument('<name>', 'unique on the node: letters, digits, _, - and .')
    .argument('[command...]', "the argv to run, after --; default: the executable named NAME in the daemon's programs dir")
    .option('--periodic <ms>', 'make it PERIODIC, released every <ms> milliseconds', integerArgument(1, LIMITS.maxPeriodMs, 'milliseconds'))
    .option('--cwd <dir>', 'working directory of its jobs (made absolute here; default: the daemon\'s)')
    .option('--env <NAME=VALUE>', 'a variable for its jobs (repeat for more)', collectEnv)
    .option('--stop-timeout <ms>', `grace between SIGTERM and SIGKILL on STOP (default ${LIMITS.defaultStopTimeoutMs})`, integerArgument(0, LIMITS.maxStopTimeoutMs, 'milliseconds'))
    .option('--restart <policy>', `restart its jobs when they end: ${RESTART_POLICY_NAMES.join(', ')} (ONE_SHOT only)`, restartPolicyArgument)
    .option('--restart-delay <duration>', 'delay before the first restart in a row, doubled after each (default 1s)', durationArgument(1, LIMITS.maxRestartDelayMs))
    .option('--restart-max-delay <duration>', 'the longest delay between restarts (default 1m)', durationArgument(1, LIMITS.maxRestartDelayMs))
    .option('--restart-limit <count/duration>', 'give up after COUNT restarts inside DURATION (default 5/1m)', restartLimitArgument(LIMITS.maxRestartLimitCount, LIMITS.maxRestartLimitWindowMs))
    .option('--time-capacity <duration>', "a job's deadline after its release (time suspended not counted); PERIODIC: at most the period", durationArgument(1, LIMITS.maxTimeCapacityMs))
    .option('--on-deadline-miss <action>', 'a job still running at its deadline: log (default) or stop it as STOP does', deadlineMissArgument)
    .option('--nice <n>', "its jobs' scheduling priority, -20 (highest) to 19 (lowest)", niceArgument)
    .option('--partition <partition>', "the partition it belongs to, for good (default: default; with a partition token: the token's own)")
    .option('--node <name>', 'in a fleet: the node it is created on (default: the least loaded up node with its partition)')
    .option('--label <KEY=VALUE>', 'in a fleet: a label the node must have (repeat for more)', collectLabel)
    .option('--relocatable', 'in a fleet: it may move to another node when its own is down')
    .option('--start', 'start it at once (created with state RUNNING)')
    .option('--json', "print the API's process object as JSON")
    .action(async (name: string, command: string[], options: CreateOptions) => {
      const client = clientFor(options, context);
      const body: Record<string, unknown> = { name };
      const restart = restartOf(options);
      if (restart) body.restart = restart;
      if (options.periodic !== undefined) Object.assign(body, { type: 'PERIODIC', period: options.periodic });
      if (command.length > 0) body.command = command;
      if (options.cwd !== undefined) body.cwd = resolve(context.cwd, options.cwd);
      if (options.env) body.env = options.env;
      if (options.stopTimeout !== undefined) body.stopTimeoutMs = options.stopTimeout;
      if (options.nice !== undefined) body.nice = options.nice;
      if (options.onDeadlineMiss !== undefined && options.timeCapacity === undefined) throw new CliError(EXIT.usage, '--on-deadline-miss needs --time-capacity');
      if (options.timeCapacity !== undefined) body.timeCapacityMs = options.timeCapacity;
      if (options.onDeadlineMiss !== undefined) body.onDeadlineMiss = options.onDeadlineMiss;
      if (options.partition !== undefined) body.partition = options.partition;
      if (options.node !== undefined) body.node = options.node;
      if (options.label) body.placement = { labels: options.label };
      if (options.relocatable) body.relocatable = true;
      if (options.start) body.state = 'RUNNING';
      const created = (await client.json<{ processes: ProcessJson[] }>('POST', '/processes', body)).processes[0] as ProcessJson;
      if (options.json) {
        context.stdout.write(`${jsonText(created, 2)}\n`);
      } else {
        const shown = displayable(created);
        context.stdout.write(`created ${shown.id} ${shown.name} (${kindOf(shown)})${inPartition(shown)}${onNode(shown)}: ${shown.state}\n`);
      }
      if (options.start && created.state === 'DORMANT') {
        throw new CliError(EXIT.failed, `${created.name} was created but did not start: ${created.lastExit?.error ?? 'no reason given'}`);
      }
    });
  return withUsageErrors(command, 'create', (message) =>
    message.startsWith('unknown option') ? jobArgumentsHint(command, context.argv.slice(context.argv.indexOf('create') + 1)) : null,
  );
}

/** Said only off the default partition, where most processes live. */
function inPartition(created: ProcessJson): string {
  return created.partition === DEFAULT_PARTITION ? '' : ` in partition ${created.partition}`;
}

/** Said in a fleet, where it matters which node took it. */
function onNode(created: ProcessJson): string {
  return created.node === undefined ? '' : ` on node ${created.node}`;
}

function kindOf(created: ProcessJson): string {
  return created.period === null ? created.type : `${created.type} every ${formatMs(created.period)}`;
}
