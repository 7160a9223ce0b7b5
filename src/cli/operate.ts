// PUT /processes/{id} {"operation": ...}: the answer is the operation's result, OK or FAILED.
import type { Operation, OperationResult } from './apiTypes.js';
import type { SigmaClient } from './sigmaClient.js';

/** `delayMs`: a START whose first release is that long after (null: at once). */
export async function operate(client: SigmaClient, id: number, operation: Operation, delayMs: number | null = null): Promise<OperationResult> {
  const answer = await client.json<{ processes: OperationResult[] }>('PUT', `/processes/${id}`, delayMs === null ? { operation } : { operation, delayMs });
  return answer.processes[0] as OperationResult;
}
