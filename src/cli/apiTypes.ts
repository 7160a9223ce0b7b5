// The shapes the daemon answers with, as the client reads them (see the API's OpenAPI document).
// Type-only: nothing of the server is loaded by the client.
import type { ProcessJson as ServerProcessJson } from '../api/schemas/processSchemas.js';
export type { OperationResultJson as OperationResult } from '../api/schemas/processSchemas.js';
export type { RunJson } from '../api/schemas/historySchemas.js';
export type { Operation } from '../core/processModel.js';
import type { RunJson } from '../api/schemas/historySchemas.js';

/** A process, with the partition it was created in (fixed for its life). */
export type ProcessJson = ServerProcessJson & { partition: string };

/** The limits of a partition as the API names them; null: no such limit. */
export interface PartitionLimitsJson {
  maxRunning: number | null;
  cpu: number | null;
  memoryBytes: number | null;
  pids: number | null;
}

/** One partition of GET /partitions. */
export interface PartitionJson extends PartitionLimitsJson {
  name: string;
  processes: number;
  running: number;
  /** Each limit that is set but that the node cannot enforce, and why. */
  unenforced: Array<{ limit: string; reason: string }>;
  usage: { cpuMs: number | null; memoryBytes: number | null; pids: number | null };
  createdAt: string;
}

/** A partition token as listed; `token` itself is in the answer to its creation only. */
export interface PartitionTokenJson {
  id: number | string;
  partition: string;
  label: string | null;
  createdAt: string;
  token?: string;
}

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
