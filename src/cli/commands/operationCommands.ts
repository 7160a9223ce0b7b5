// `sigma start|suspend|resume|stop ID|NAME...` (PUT /processes/{id}) and `sigma rm ID|NAME...`.
import type { Command } from 'commander';
import type { Operation } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { operate } from '../operate.js';
import { failureLine, resultLine } from '../operationResultLine.js';
import { painterFor } from '../terminalStyle.js';
import { DEFINITION_LIMITS as LIMITS } from '../definitionLimits.js';
import { durationArgument } from '../durationArgument.js';
import { escapeControls } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';
import { forEachProcess } from './eachProcess.js';

const OPERATION_HELP: Record<Operation, { verb: string; summary: string; description: string }> = {
  START: { verb: 'start', summary: 'start processes', description: 'Start processes: a ONE_SHOT runs its job now, a PERIODIC is released at once and then every period.' },
  SUSPEND: { verb: 'suspend', summary: 'suspend processes (SIGSTOP, no releases)', description: "Suspend processes: the job's whole process group gets SIGSTOP and a PERIODIC gets no releases." },
  RESUME: { verb: 'resume', summary: 'resume suspended processes', description: 'Resume suspended processes: SIGCONT, and a PERIODIC goes on on its original grid.' },
  STOP: { verb: 'stop', summary: 'stop processes (SIGTERM, then SIGKILL after the grace)', description: "Stop processes: SIGTERM to the job's group, SIGKILL after its stop timeout; answers once nothing is left." },
};

export function operationCommand(operation: Operation, context: CliContext): Command {
  const { verb, summary, description } = OPERATION_HELP[operation];
  const command = clientCommand(verb, summary, `${description} An all-digit argument is an id, anything else a name.`, [
    `sigma ${verb} ticker`,
    `sigma ${verb} 3 4 web`,
    ...(operation === 'START' ? ['sigma start ticker --delay 500ms   (WAITING, first release 500 ms later)'] : []),
  ]).argument('<process...>', 'ids or names');
  if (operation === 'START') {
    command.option('--delay <duration>', 'release it first this long after (a delayed start: 500ms, 2s, 1m)', durationArgument(0, LIMITS.maxRestartDelayMs));
  }
  return command
    .action(async (refs: string[], options: ConnectionOptions & { delay?: number }) => {
      const client = clientFor(options, context);
      const paint = painterFor(context.stdout, context.env);
      await forEachProcess(refs, client, context, async (found) => {
        const result = await operate(client, found.id, operation, options.delay ?? null);
        if (result.result === 'FAILED') throw new CliError(EXIT.failed, failureLine(operation, result));
        context.stdout.write(`${resultLine(result, paint)}\n`);
      });
    });
}

export function rmCommand(context: CliContext): Command {
  return clientCommand('rm', 'delete processes', 'Delete processes (a live job is stopped first, as by STOP); their logs go with them.', ['sigma rm ticker', 'sigma rm 3 4 web'])
    .argument('<process...>', 'ids or names')
    .action(async (refs: string[], options: ConnectionOptions) => {
      const client = clientFor(options, context);
      await forEachProcess(refs, client, context, async (found) => {
        await client.json('DELETE', `/processes/${found.id}`);
        context.stdout.write(`${escapeControls(found.name)} (id ${found.id}): deleted\n`);
      });
    });
}
