// `sigma apply -f FILE [--prune] [--dry-run]`: makes the node match a file of processes.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ProcessJson } from '../apiTypes.js';
import { readApplyFile } from '../apply/applyFile.js';
import { describeStep, isNoChange, planApply, summarize } from '../apply/applyPlan.js';
import { runPlan } from '../apply/applyRun.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface ApplyOptions extends ConnectionOptions {
  file: string;
  prune?: boolean;
  dryRun?: boolean;
}

export function applyCommand(context: CliContext): Command {
  return clientCommand(
    'apply',
    'make the node match a file of processes (YAML)',
    'Make the node match a file of processes: create what is missing, update what differs (a live process is stopped, updated and started again), bring each to its state, and with --prune delete what the file does not list.',
    [
      'sigma apply -f sigma.yaml --dry-run     show the plan, change nothing',
      'sigma apply -f sigma.yaml',
      'sigma apply -f sigma.yaml --prune       also delete the processes the file does not list',
      '',
      'A file:',
      '  processes:',
      '    - name: ticker',
      '      period: 1000              # milliseconds; makes it PERIODIC',
      '      command: [date, -u]',
      '    - name: web',
      '      partition: lab            # fixed at creation: a change deletes and creates it again',
      '      command: [python3, -m, http.server, "8000"]',
      '      cwd: ./site               # relative to the file',
      '      env: {PYTHONUNBUFFERED: "1"}',
      '      stopTimeoutMs: 2000',
      '      state: started            # started (default) | stopped | suspended | once',
    ],
  )
    .requiredOption('-f, --file <file>', 'the YAML file listing the processes')
    .option('--prune', 'delete the processes on the node that the file does not list')
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
        for (const problem of reading.problems) context.stderr.write(`${options.file}:${problem.line}: ${problem.message}\n`);
        throw new CliError(EXIT.usage, `${options.file} is not valid (${reading.problems.length} problem${reading.problems.length === 1 ? '' : 's'}): nothing was changed`);
      }
      const client = clientFor(options, context);
      const current = (await client.json<{ processes: ProcessJson[] }>('GET', '/processes')).processes;
      const plan = planApply(reading.processes, current, options.prune === true);
      const fileName = basename(path);
      if (options.dryRun || isNoChange(plan)) {
        for (const step of plan.steps) if (step.kind !== 'unchanged') context.stdout.write(`${describeStep(step)}\n`);
        context.stdout.write(`${summarize(plan, fileName, options.dryRun === true)}\n`);
        return;
      }
      const exitCode = await runPlan(client, plan.steps, {
        line: (line) => context.stdout.write(`${line}\n`),
        problem: (line) => context.stderr.write(`sigma: ${line}\n`),
      });
      context.stdout.write(`${summarize(plan, fileName, false)}\n`);
      if (exitCode !== EXIT.ok) throw new CliError(exitCode, '');
    });
}
