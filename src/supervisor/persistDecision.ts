// Writes what a decision changed of a process (intent, counters, last exit, live job, a run),
// and nothing when it changed none of it.
import { jobOf, type ProcessSnapshot, type RunRecord } from '../core/processModel.js';
import type { Durability, ProcessStore } from '../runtime/sqliteStore.js';
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

/**
 * `onFailure` decides what a failed write means: an operation that has not acted yet fails
 * whole; what has already happened on the node is kept in memory and logged. Answers whether the
 * change is stored (true also when there was nothing to store).
 */
export function persistDecision(
  store: ProcessStore,
  processId: number,
  { before, after, run, jobStartTicks, launcherSeq, seqChanged }: DecidedChange,
  durability: Durability,
  onFailure: (error: unknown) => void,
): boolean {
  const jobBefore = jobOf(before.runtime);
  const jobAfter = jobOf(after.runtime);
  const restart = storedRestartOf(after);
  const changed =
    !sameStoredRestart(storedRestartOf(before), restart) ||
    run !== null ||
    before.intent !== after.intent ||
    before.counters !== after.counters ||
    before.lastExit !== after.lastExit ||
    jobBefore?.pid !== jobAfter?.pid ||
    seqChanged;
  if (!changed) return true;
  const state = {
    intent: after.intent,
    counters: after.counters,
    lastExit: after.lastExit,
    job: jobAfter ? { pid: jobAfter.pid, startedAtMs: jobAfter.startedAtMs, startTicks: jobStartTicks } : null,
    launcherSeq,
    restart,
  };
  try {
    store.saveState(processId, state, run, durability);
    return true;
  } catch (error) {
    onFailure(error);
    return false;
  }
}
