// Writes what a decision changed of a process (intent, counters, last exit, live job, a run),
// and nothing when it changed none of it.
import { jobOf, type ProcessSnapshot, type RunRecord } from '../core/processModel.js';
import type { Durability, ProcessStore } from '../runtime/sqliteStore.js';

export interface DecidedChange {
  readonly before: ProcessSnapshot;
  readonly after: ProcessSnapshot;
  readonly run: RunRecord | null;
  /** The start time in /proc of the live job's leader, when there is one. */
  readonly jobStartTicks: number | null;
}

/**
 * `onFailure` decides what a failed write means: an operation that has not acted yet fails
 * whole; what has already happened on the node is kept in memory and logged.
 */
export function persistDecision(
  store: ProcessStore,
  processId: number,
  { before, after, run, jobStartTicks }: DecidedChange,
  durability: Durability,
  onFailure: (error: unknown) => void,
): void {
  const jobBefore = jobOf(before.runtime);
  const jobAfter = jobOf(after.runtime);
  const changed =
    run !== null ||
    before.intent !== after.intent ||
    before.counters !== after.counters ||
    before.lastExit !== after.lastExit ||
    jobBefore?.pid !== jobAfter?.pid;
  if (!changed) return;
  const state = {
    intent: after.intent,
    counters: after.counters,
    lastExit: after.lastExit,
    job: jobAfter ? { pid: jobAfter.pid, startedAtMs: jobAfter.startedAtMs, startTicks: jobStartTicks } : null,
  };
  try {
    store.saveState(processId, state, run, durability);
  } catch (error) {
    onFailure(error);
  }
}
