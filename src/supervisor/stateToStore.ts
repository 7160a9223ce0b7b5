// What a decision changed of a process that the store keeps (intent, counters, last exit, live
// job), and nothing when it changed none of it.
import { jobOf, type Job, type ProcessSnapshot, type RunRecord } from '../core/processModel.js';
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
    !sameJobTiming(before, after) ||
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
    job: job ? { pid: job.pid, startedAtMs: job.startedAtMs, startTicks: jobStartTicks, timing: jobTimingOf(job, endingAfterMiss(snapshot)) } : null,
    launcherSeq,
    restart: storedRestartOf(snapshot),
  };
}

/** Whether the live job's deadline state changed (compared field by field: this runs at every decision). */
function sameJobTiming(before: ProcessSnapshot, after: ProcessSnapshot): boolean {
  const a = jobOf(before.runtime);
  const b = jobOf(after.runtime);
  return (
    a?.releaseAtMs === b?.releaseAtMs &&
    a?.suspendedMs === b?.suspendedMs &&
    a?.suspendedAtMs === b?.suspendedAtMs &&
    a?.deadlineMissed === b?.deadlineMissed &&
    endingAfterMiss(before) === endingAfterMiss(after)
  );
}

/** Its job is being ended for a deadline miss (`stop`). */
function endingAfterMiss(snapshot: ProcessSnapshot): boolean {
  return snapshot.runtime.phase === 'STOPPING' && snapshot.runtime.afterDeadlineMiss !== undefined;
}

/** The live job's deadline state as the store keeps it. */
function jobTimingOf(job: Job, ending: boolean): StoredJobTiming {
  const { releaseAtMs, suspendedMs, suspendedAtMs, deadlineMissed } = job;
  return {
    releaseAtMs,
    ...(suspendedMs !== undefined ? { suspendedMs } : {}),
    ...(suspendedAtMs !== undefined ? { suspendedAtMs } : {}),
    ...(deadlineMissed ? { deadlineMissed } : {}),
    ...(ending ? { endingAfterMiss: true as const } : {}),
  };
}
