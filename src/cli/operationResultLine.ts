// One process's answer to an operation, as the command line prints it.
import type { OperationResult } from './apiTypes.js';
import { paintState, type Painter } from './terminalStyle.js';
import { displayable } from './terminalText.js';

/** "web (id 7): RUNNING" */
export function resultLine(result: OperationResult, paint: Painter): string {
  const { name, id, state } = displayable(result);
  return `${name} (id ${id}): ${paintState(paint, state)}`;
}

/** "web (id 7): SUSPEND FAILED: not started: START it first; it stays DORMANT" */
export function failureLine(operation: string, result: OperationResult): string {
  const { name, id, reason, state } = displayable(result);
  return `${name} (id ${id}): ${operation} FAILED: ${reason ?? 'no reason given'}; it stays ${state}`;
}
