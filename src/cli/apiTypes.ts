// The shapes the daemon answers with, as the client reads them (see the API's OpenAPI document).
export type { ProcessJson } from '../api/schemas/processSchemas.js';

export type Operation = 'START' | 'SUSPEND' | 'RESUME' | 'STOP';

export interface OperationResult {
  id: number;
  name: string;
  state: string;
  result: 'OK' | 'FAILED';
  reason?: string;
}

export interface RunJson {
  id: number;
  pid: number | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  releaseAt: string | null;
  releaseLatenessMs: number | null;
  error: string | null;
  endedBySigma: boolean;
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
