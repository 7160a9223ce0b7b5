// What the page says after an operation on a whole partition: how many processes it reached, how
// many did it, and why each of the others did not (the first few: the table shows every state).
import type { Operation, OperationResult } from './apiTypes.js';
import type { ActionOutcome } from './operationButton.js';

const REASONS_SHOWN = 5;

/** "STOP lab: 3 processes, 2 done, 1 failed — crunch (id 7): a job of this process is being launched or stopped; try again" */
export function partitionOutcomeOf(operation: Operation, partition: string, results: readonly OperationResult[]): ActionOutcome {
  const head = `${operation} ${partition}`;
  if (results.length === 0) return { ok: true, text: `${head}: no processes` };
  const failed = results.filter((result) => result.result === 'FAILED');
  const counts = `${results.length} process${results.length === 1 ? '' : 'es'}, ${results.length - failed.length} done`;
  if (failed.length === 0) return { ok: true, text: `${head}: ${counts}` };
  const reasons = failed.slice(0, REASONS_SHOWN).map((result) => `${result.name} (id ${result.id}): ${result.reason ?? 'no reason given'}`);
  if (failed.length > REASONS_SHOWN) reasons.push(`and ${failed.length - REASONS_SHOWN} more`);
  return { ok: false, text: `${head}: ${counts}, ${failed.length} failed — ${reasons.join('; ')}` };
}
