// The shapes the daemon answers with, as the client reads them (see the API's OpenAPI document).
// Type-only: nothing of the server is loaded by the client.
import type { Static } from 'typebox';
import type { PartitionJson, TokenList } from '../api/schemas/partitionSchemas.js';
export type { ProcessJson, OperationResultJson as OperationResult } from '../api/schemas/processSchemas.js';
export type { PartitionJson } from '../api/schemas/partitionSchemas.js';
export type { FleetNodeJson } from '../api/fleetRoutes.js';
export type { RunJson } from '../api/schemas/historySchemas.js';
export type { Operation } from '../core/processModel.js';
import type { RunJson } from '../api/schemas/historySchemas.js';

/** The limits of a partition as the API names them; null: no such limit. */
export type PartitionLimitsJson = Pick<PartitionJson, 'maxRunning' | 'cpu' | 'memoryBytes' | 'pids'>;

/** The quotas of a partition; null: none of its own (the node's ceiling holds). */
export type PartitionQuotasJson = Pick<PartitionJson, 'maxProcesses' | 'definitionBytes'>;

/** A partition token as listed; `token` itself is in the answer to its creation only. */
export type PartitionTokenJson = Static<typeof TokenList>['tokens'][number];

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
  /** deadlineMissed: the job's pid, its capacity and what sigma did about it. */
  pid?: number;
  timeCapacityMs?: number;
  action?: string;
}
