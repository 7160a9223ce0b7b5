// `sigma show ID|NAME`: every field of a process, and its recent runs (GET /processes/{id}/runs).
import type { Command } from 'commander';
import type { ProcessJson, RunJson } from '../apiTypes.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { describeEnd, describeRunEnd, formatMs, formatRelative } from '../displayValues.js';
import { plainTable } from '../plainTable.js';
import { fetchProcess } from '../processRef.js';
import { shellQuote } from '../shellQuote.js';
import { paintState, painterFor, type Painter } from '../terminalStyle.js';
import { displayable, jsonText } from '../terminalText.js';
import { clientCommand, clientFor, integerArgument } from './clientCommand.js';

interface ShowOptions extends ConnectionOptions {
  runs: number;
  json?: boolean;
}

export function showCommand(context: CliContext): Command {
  return clientCommand('show', 'every field of a process and its recent runs', 'Show every field of a process and its recent runs, newest first.', [
    'sigma show ticker',
    'sigma show 3 --runs 50',
    'sigma show ticker --json | jq .runs[0]',
  ])
    .argument('<process>', 'id or name')
    .option('--runs <n>', 'how many recent runs to show', integerArgument(0, 100), 10)
    .option('--json', 'print {"process": ..., "runs": [...]} as the API gives them')
    .action(async (ref: string, options: ShowOptions) => {
      const client = clientFor(options, context);
      const shown = await fetchProcess(client, ref);
      const runs = options.runs === 0 ? [] : (await client.json<{ runs: RunJson[] }>('GET', `/processes/${shown.id}/runs?limit=${options.runs}`)).runs;
      if (options.json) {
        context.stdout.write(`${jsonText({ process: shown, runs }, 2)}\n`);
        return;
      }
      const paint = painterFor(context.stdout, context.env);
      const nowMs = Date.now();
      context.stdout.write(fieldList(shown, nowMs, paint));
      if (options.runs === 0) return;
      context.stdout.write(`\n${paint('bold', 'Recent runs')} (newest first):\n`);
      context.stdout.write(runs.length === 0 ? '  none yet\n' : runTable(shown, runs, nowMs, paint));
    });
}

/** `answer` as the API gave it: its command and env are quoted from that, every other field escaped. */
function fieldList(answer: ProcessJson, nowMs: number, paint: Painter): string {
  const shown = displayable(answer);
  const at = (iso: string | null): string => (iso ? `${iso} (${formatRelative(iso, nowMs)})` : '-');
  const env = Object.entries(answer.env);
  const fields: Array<[string, string]> = [
    ['id', String(shown.id)],
    ['name', shown.name],
    ['partition', shown.partition],
    ['state', paintState(paint, shown.state)],
    ['type', shown.type],
    ['period', shown.period === null ? '-' : withReadable(shown.period)],
    ['command', shellQuote(answer.command)],
    ['cwd', shown.cwd ?? "- (the daemon's)"],
    ['env', env.length === 0 ? '-' : env.map(([name, value]) => shellQuote([`${name}=${value}`])).join(' ')],
    ['stopTimeoutMs', withReadable(shown.stopTimeoutMs)],
    ['restart', describeRestart(shown.restart)],
    ['timeCapacityMs', shown.timeCapacityMs === null ? '- (no deadline)' : `${withReadable(shown.timeCapacityMs)}, on a miss: ${shown.onDeadlineMiss ?? 'log'}`],
    ['nice', shown.nice === null ? "- (the daemon's)" : String(shown.nice)],
    ['pid', shown.pid === null ? '-' : String(shown.pid)],
    ['startedAt', at(shown.startedAt)],
    ['nextReleaseAt', at(shown.nextReleaseAt)],
    ['lastExit', shown.lastExit ? `${describeEnd(shown.lastExit)} at ${at(shown.lastExit.at)}, after ${formatMs(shown.lastExit.durationMs)}` : '-'],
    ...(shown.outputError === null ? [] : ([['outputError', paint('yellow', `${shown.outputError} (its jobs' output is dropped until the log can be written)`)]] as Array<[string, string]>)),
    ['runs', String(shown.runs)],
    ['overruns', String(shown.overruns)],
    ['skipped', String(shown.skipped)],
    ['failures', String(shown.failures)],
    ['restarts', String(shown.restarts)],
    ['deadlineMisses', String(shown.deadlineMisses)],
    ['createdAt', at(shown.createdAt)],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${paint('bold', name.padEnd(width))}  ${value}\n`).join('');
}

/** on-failure, 1s doubled up to 1m, at most 5 in 1m. */
function describeRestart(restart: ProcessJson['restart']): string {
  if (restart === null) return '- (never)';
  const { policy, delayMs, maxDelayMs, limit } = restart;
  return `${policy}, after ${formatMs(delayMs)} doubled up to ${formatMs(maxDelayMs)}, at most ${limit.count} in ${formatMs(limit.windowMs)}`;
}

/** 500 ms, or 1500 ms (1.5s). */
function withReadable(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms} ms (${formatMs(ms)})`;
}

function runTable(shown: ProcessJson, runs: RunJson[], nowMs: number, paint: Painter): string {
  const periodic = shown.type === 'PERIODIC';
  const head = ['STARTED', 'DURATION', 'END', 'PID', ...(periodic ? ['LATENESS'] : [])];
  const rows = displayable(runs).map((run) => [
    `${run.startedAt} (${formatRelative(run.startedAt, nowMs)})`,
    formatMs(run.durationMs),
    describeRunEnd(run),
    run.pid === null ? '-' : String(run.pid),
    ...(periodic ? [run.releaseLatenessMs === null ? '-' : `${run.releaseLatenessMs.toFixed(1)}ms`] : []),
  ]);
  return plainTable(paint, head, rows)
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
