// Shapes what the supervisor knows of a process into the API's JSON.
import { jobOf, wireStateOf, type Runtime } from '../core/processModel.js';
import { isoOf } from '../runtime/clock.js';
import type { ProcessReading } from '../supervisor/managedProcess.js';
import type { ProcessJson } from './schemas/processSchemas.js';

export function processView({ definition, snapshot, outputError }: ProcessReading): ProcessJson {
  const job = jobOf(snapshot.runtime);
  const nextReleaseAtMs = pendingReleaseOf(snapshot.runtime);
  const lastExit = snapshot.lastExit;
  return {
    id: definition.id,
    name: definition.name,
    partition: definition.partition,
    state: wireStateOf(snapshot.runtime),
    type: definition.spec.type,
    period: definition.spec.periodMs,
    command: definition.command as string[],
    cwd: definition.cwd,
    env: definition.env as Record<string, string>,
    stopTimeoutMs: definition.spec.stopTimeoutMs,
    restart: definition.spec.type === 'ONE_SHOT' ? definition.spec.restart : null,
    timeCapacityMs: definition.spec.capacity?.timeCapacityMs ?? null,
    onDeadlineMiss: definition.spec.capacity?.onDeadlineMiss ?? null,
    nice: definition.nice,
    pid: job?.pid ?? null,
    startedAt: job ? isoOf(job.startedAtMs) : null,
    nextReleaseAt: nextReleaseAtMs === null ? null : isoOf(nextReleaseAtMs),
    lastExit: lastExit
      ? { code: lastExit.code, signal: lastExit.signal, at: isoOf(lastExit.atMs), durationMs: Math.round(lastExit.durationMs), error: lastExit.error, oomKilled: lastExit.oomKilled }
      : null,
    outputError,
    ...snapshot.counters,
    createdAt: isoOf(definition.createdAtMs),
  };
}

/** The release point (or the restart) the timer waits for: none while dormant, suspended or stopping. */
function pendingReleaseOf(runtime: Runtime): number | null {
  switch (runtime.phase) {
    case 'RESTART_PENDING':
      return runtime.restartAtMs;
    case 'WAITING':
    case 'READY':
    case 'LAUNCHING':
    case 'RUNNING':
      return runtime.grid?.nextReleaseAtMs ?? null;
    default:
      return null;
  }
}
