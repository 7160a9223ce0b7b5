// PUT /processes/{id} {"operation": ...}: the answer is the operation's result, OK or FAILED.
import type { Operation, OperationResult } from './apiTypes.js';
import type { SigmaClient } from './sigmaClient.js';

export async function operate(client: SigmaClient, id: number, operation: Operation): Promise<OperationResult> {
  const answer = await client.json<{ processes: OperationResult[] }>('PUT', `/processes/${id}`, { operation });
  return answer.processes[0] as OperationResult;
}
