// One process's answer to an operation, as the command line prints it.
import type { OperationResult } from './apiTypes.js';
import { paintState, type Painter } from './terminalStyle.js';

/** "web (id 7): RUNNING" */
export function resultLine(result: OperationResult, paint: Painter): string {
  return `${result.name} (id ${result.id}): ${paintState(paint, result.state)}`;
}

/** "web (id 7): SUSPEND FAILED: not started: START it first; it stays DORMANT" */
export function failureLine(operation: string, result: OperationResult): string {
  return `${result.name} (id ${result.id}): ${operation} FAILED: ${result.reason ?? 'no reason given'}; it stays ${result.state}`;
}
