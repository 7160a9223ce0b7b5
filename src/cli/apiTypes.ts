// The shapes the daemon answers with, as the client reads them (see the API's OpenAPI document).
// Type-only: nothing of the server is loaded by the client.
export type { ProcessJson, OperationResultJson as OperationResult } from '../api/schemas/processSchemas.js';
export type { RunJson } from '../api/schemas/historySchemas.js';
export type { Operation } from '../core/processModel.js';
import type { RunJson } from '../api/schemas/historySchemas.js';

/** One event of GET /events (the `data` line, parsed). */
export interface SigmaEvent {
  id: number;
  type: string;
  processId?: number;
  name?: string;
  from?: string;
  to?: string;
  at: string;
  reason?: string;
  run?: RunJson;
  message?: string;
}
