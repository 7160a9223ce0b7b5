// `sigma partition start|stop|suspend|resume NAME`: PUT /partitions/{name} {"operation": ...},
// one operation on every process of the partition; one line per process, as `sigma stop` does.
import type { Command } from 'commander';
import type { Operation, OperationResult } from '../apiTypes.js';
import { CliError, EXIT } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { failureLine, resultLine } from '../operationResultLine.js';
import { painterFor } from '../terminalStyle.js';
import { jsonText } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface OperationOptions extends ConnectionOptions {
  json?: boolean;
}

const SUMMARIES: Record<Operation, string> = {
  START: 'start every process of a partition',
  SUSPEND: 'suspend every process of a partition',
  RESUME: 'resume every suspended process of a partition',
  STOP: 'stop every process of a partition',
};

export function partitionOperationCommand(operation: Operation, context: CliContext): Command {
  const verb = operation.toLowerCase();
  return clientCommand(
    `partition ${verb}`,
    SUMMARIES[operation],
    `${SUMMARIES[operation].replace(/^./, (first) => first.toUpperCase())}, as \`sigma ${verb}\` does for one. Prints one line per process; the exit status is 1 if the operation FAILED for any of them (the reasons are on stderr). A partition token may do this to its own partition.`,
    [`sigma partition ${verb} lab`, `sigma partition ${verb} lab --json | jq -r '.[] | select(.result == "FAILED") | .name'`],
  )
    .argument('<name>', 'the partition')
    .option('--json', 'print the result of each process as the API gives it')
    .action(async (name: string, options: OperationOptions) => {
      const client = clientFor(options, context);
      const { processes: results } = await client.json<{ processes: OperationResult[] }>('PUT', `/partitions/${encodeURIComponent(name)}`, { operation });
      const failed = results.filter((result) => result.result === 'FAILED');
      if (options.json) {
        context.stdout.write(`${jsonText(results, 2)}\n`);
      } else if (results.length === 0) {
        context.stdout.write(`partition ${name} has no processes: nothing to ${verb}\n`);
      } else {
        const paint = painterFor(context.stdout, context.env);
        for (const result of results) {
          if (result.result === 'FAILED') context.stderr.write(`sigma: ${failureLine(operation, result)}\n`);
          else context.stdout.write(`${resultLine(result, paint)}\n`);
        }
      }
      if (failed.length > 0) throw new CliError(EXIT.failed, options.json ? `${operation} FAILED for ${failed.length} of ${results.length} processes` : '');
    });
}
