// Runs a command's action on several ID|NAME arguments: each is tried, a failure is reported on
// its own line, and the command exits with the status of the first one that did not succeed.
import type { ProcessJson } from '../apiTypes.js';
import { CliError, EXIT, type ExitCode } from '../cliExit.js';
import type { CliContext } from '../cliContext.js';
import { fetchProcess } from '../processRef.js';
import type { SigmaClient } from '../sigmaClient.js';

/** Failures that say nothing about one process: no point in going on with the others. */
const FATAL: readonly ExitCode[] = [EXIT.unreachable, EXIT.unauthorized];

export async function forEachProcess(
  refs: string[],
  client: SigmaClient,
  context: CliContext,
  act: (found: ProcessJson) => Promise<void>,
): Promise<void> {
  let firstFailure: ExitCode | null = null;
  for (const ref of refs) {
    try {
      await act(await fetchProcess(client, ref));
    } catch (error) {
      if (!(error instanceof CliError) || FATAL.includes(error.exitCode)) throw error;
      if (error.message) context.stderr.write(`sigma: ${error.message}\n`);
      firstFailure ??= error.exitCode;
    }
  }
  if (firstFailure !== null) throw new CliError(firstFailure, '');
}
