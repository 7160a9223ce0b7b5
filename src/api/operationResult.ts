// The contract's RequestOperationResult of one process.
import type { OperationAnswer } from '../supervisor/supervisor.js';
import { processView } from './processView.js';
import type { OperationResultJson } from './schemas/processSchemas.js';

export function operationResultOf({ process, outcome }: OperationAnswer): OperationResultJson {
  const view = processView(process);
  return { id: view.id, name: view.name, state: view.state, result: outcome.result, ...(outcome.reason ? { reason: outcome.reason } : {}) };
}
