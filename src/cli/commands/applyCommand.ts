// `sigma apply -f FILE [--prune] [--dry-run]`: makes the node match a file of partitions and processes.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_PARTITION } from '../../core/partition.js';
import type { PartitionJson, ProcessJson } from '../apiTypes.js';
import { readApplyFile } from '../apply/applyFile.js';
import { describeStep, isNoChange, isUnchanged, orderedSteps, planApply, summarize } from '../apply/applyPlan.js';
import { runPlan } from '../apply/applyRun.js';
import { planPartitions } from '../apply/partitionPlan.js';
import { partitionReferenceProblems } from '../apply/partitionReferences.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { unenforcedNotes } from '../partitionTable.js';
import { painterFor } from '../terminalStyle.js';
import { escapeControls } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface ApplyOptions extends ConnectionOptions {
  file: string;
  prune?: boolean;
  dryRun?: boolean;
}

export function applyCommand(context: CliContext): Command {
  return clientCommand(
    'apply',
    'make the node match a file of partitions and processes (YAML)',
    'Make the node match a file of processes, and of partitions if it has "partitions:": create what is missing, give each partition exactly the limits the file gives (a limit left out is removed), update what differs (a live process is stopped, updated and started again), bring each process to its state, and with --prune delete what the file does not list. Partitions are created and changed first; with --prune they are deleted last (never default), and only when the file has "partitions:".',
    [
      'sigma apply -f sigma.yaml --dry-run     show the plan, change nothing',
      'sigma apply -f sigma.yaml',
      'sigma apply -f sigma.yaml --prune       also delete the processes (and partitions) the file does not list',
      '',
      'A file:',
      '  partitions:                   # optional: without it, partitions are not touched',
      '    - name: lab',
      '      maxRunning: 2             # each limit optional; one left out is no limit',
      '      cpu: 0.5                  # a share of one core',
      '      memoryBytes: 256Mi        # bytes, or with K, M, G (of 1000) or Ki, Mi, Gi (of 1024)',
      '      pids: 64',
      '  processes:',
      '    - name: ticker',
      '      period: 1000              # milliseconds; makes it PERIODIC',
      '      command: [date, -u]',
      '    - name: web',
      '      partition: lab            # declared above, or on the node; a change deletes and creates it again',
      '      command: [python3, -m, http.server, "8000"]',
      '      cwd: ./site               # relative to the file',
      '      env: {PYTHONUNBUFFERED: "1"}',
      '      stopTimeoutMs: 2000',
      '      state: started            # started (default) | stopped | suspended | once',
    ],
  )
    .requiredOption('-f, --file <file>', 'the YAML file listing the processes (and partitions)')
    .option('--prune', 'delete the processes on the node that the file does not list, and its partitions too if the file has "partitions:"')
    .option('--dry-run', 'print the plan and change nothing')
    .action(async (options: ApplyOptions) => {
      const path = resolve(context.cwd, options.file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        throw new CliError(EXIT.usage, `cannot read ${options.file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): give an existing file with -f`);
      }
      const reading = readApplyFile(text, dirname(path));
      if (!reading.ok) {
        printProblems(context, options.file, reading.problems);
        throw new CliError(EXIT.usage, `${options.file} is not valid (${reading.problems.length} problem${reading.problems.length === 1 ? '' : 's'}): nothing was changed`);
      }
      const prune = options.prune === true;
      const client = clientFor(options, context);
      const current = (await client.json<{ processes: ProcessJson[] }>('GET', '/processes')).processes;
      const needsPartitions = reading.partitions !== null || reading.processes.some((wanted) => wanted.partition !== null && wanted.partition !== DEFAULT_PARTITION);
      const nodePartitions = needsPartitions ? (await client.json<{ partitions: PartitionJson[] }>('GET', '/partitions')).partitions : [];
      const references = partitionReferenceProblems(reading.processes, reading.partitions, nodePartitions.map((partition) => partition.name), prune);
      if (references.problems.length > 0) {
        printProblems(context, options.file, references.problems);
        const count = references.problems.length;
        throw new CliError(
          references.missing ? EXIT.notFound : EXIT.usage,
          `${options.file} names partitions that ${references.missing ? 'the node does not have' : '--prune would delete'} (${count} problem${count === 1 ? '' : 's'}): nothing was changed`,
        );
      }
      const partitionPlan = reading.partitions === null ? null : planPartitions(reading.partitions, nodePartitions, prune);
      const plan = planApply(reading.processes, current, prune, partitionPlan);
      const fileName = basename(path);
      if (options.dryRun || isNoChange(plan)) {
        for (const step of orderedSteps(plan)) if (!isUnchanged(step)) context.stdout.write(`${escapeControls(describeStep(step))}\n`);
        context.stdout.write(`${escapeControls(summarize(plan, fileName, options.dryRun === true))}\n`);
        return;
      }
      const paint = painterFor(context.stderr, context.env);
      const { exitCode, notDone } = await runPlan(client, orderedSteps(plan), {
        line: (line) => context.stdout.write(`${escapeControls(line)}\n`),
        problem: (line) => context.stderr.write(`sigma: ${escapeControls(line)}\n`),
        unenforced: (partition) => {
          for (const note of unenforcedNotes([partition], paint)) context.stderr.write(`sigma: warning: ${note}\n`);
        },
      });
      context.stdout.write(`${escapeControls(summarize(plan, fileName, false, notDone))}\n`);
      if (exitCode !== EXIT.ok) throw new CliError(exitCode, '');
    });
}

/** FILE:LINE: what is wrong, one per problem; a message may span lines (an example), a value quoted from the file is escaped. */
function printProblems(context: CliContext, file: string, problems: ReadonlyArray<{ line: number; message: string }>): void {
  for (const problem of problems) context.stderr.write(`${`${file}:${problem.line}: ${problem.message}`.split('\n').map(escapeControls).join('\n')}\n`);
}
