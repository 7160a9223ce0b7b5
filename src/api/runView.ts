// Shapes a recorded run into the API's JSON (the run history and the `run` events).
import type { RunRecord } from '../core/processModel.js';
import { isoOf } from '../runtime/clock.js';
import type { RunJson } from './schemas/historySchemas.js';

export function runView(run: RunRecord): Omit<RunJson, 'id'> {
  return {
    pid: run.pid,
    startedAt: isoOf(run.startedAtMs),
    endedAt: isoOf(run.endedAtMs),
    durationMs: roundedMs(run.endedAtMs - run.startedAtMs),
    exitCode: run.exitCode,
    signal: run.signal,
    releaseAt: run.releaseAtMs === null ? null : isoOf(run.releaseAtMs),
    releaseLatenessMs: run.releaseAtMs === null || run.pid === null ? null : roundedMs(run.startedAtMs - run.releaseAtMs),
    error: run.error,
    endedBySigma: run.endedBySigma,
    oomKilled: run.oomKilled,
    deadlineMissed: run.deadlineMissed,
  };
}

/** Microsecond resolution: finer than that the clocks do not tell. */
function roundedMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
