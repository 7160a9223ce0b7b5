// What a decision changed of a process that the store keeps (intent, counters, last exit, live
// job), and nothing when it changed none of it.
import { jobOf, type ProcessSnapshot, type RunRecord } from '../core/processModel.js';
import type { PersistedState, StoredJobTiming } from '../runtime/sqliteStore.js';
import { sameStoredRestart, storedRestartOf } from './storedRestart.js';

export interface DecidedChange {
  readonly before: ProcessSnapshot;
  readonly after: ProcessSnapshot;
  readonly run: RunRecord | null;
  /** The start time in /proc of the live job's leader, when there is one. */
  readonly jobStartTicks: number | null;
  /** The last launcher event applied to the process. */
  readonly launcherSeq: number;
  /** Whether this change applied a launcher event (its seq must be stored even if nothing else changed). */
  readonly seqChanged: boolean;
}

/** The state to store after the change, or null when the change touches nothing the store keeps. */
export function stateToStore({ before, after, run, jobStartTicks, launcherSeq, seqChanged }: DecidedChange): PersistedState | null {
  const jobBefore = jobOf(before.runtime);
  const jobAfter = jobOf(after.runtime);
  const changed =
    seqChanged ||
    run !== null ||
    before.intent !== after.intent ||
    before.counters !== after.counters ||
    before.lastExit !== after.lastExit ||
    jobBefore?.pid !== jobAfter?.pid ||
    JSON.stringify(jobTimingOf(before)) !== JSON.stringify(jobTimingOf(after)) ||
    !sameStoredRestart(storedRestartOf(before), storedRestartOf(after));
  return changed ? persistedStateOf(after, jobStartTicks, launcherSeq) : null;
}

/** A snapshot as the store keeps it. */
export function persistedStateOf(snapshot: ProcessSnapshot, jobStartTicks: number | null, launcherSeq: number): PersistedState {
  const job = jobOf(snapshot.runtime);
  return {
    intent: snapshot.intent,
    counters: snapshot.counters,
    lastExit: snapshot.lastExit,
    job: job ? { pid: job.pid, startedAtMs: job.startedAtMs, startTicks: jobStartTicks, timing: jobTimingOf(snapshot) as StoredJobTiming } : null,
    launcherSeq,
    restart: storedRestartOf(snapshot),
  };
}

/** The live job's deadline state as the store keeps it (null: no job). */
function jobTimingOf(snapshot: ProcessSnapshot): StoredJobTiming | null {
  const job = jobOf(snapshot.runtime);
  if (!job) return null;
  const { releaseAtMs, suspendedMs, suspendedAtMs, deadlineMissed } = job;
  const ending = snapshot.runtime.phase === 'STOPPING' && snapshot.runtime.afterDeadlineMiss !== undefined;
  return {
    releaseAtMs,
    ...(suspendedMs !== undefined ? { suspendedMs } : {}),
    ...(suspendedAtMs !== undefined ? { suspendedAtMs } : {}),
    ...(deadlineMissed ? { deadlineMissed } : {}),
    ...(ending ? { endingAfterMiss: true as const } : {}),
  };
}
