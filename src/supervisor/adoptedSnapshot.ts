// What a stored process is when a daemon adopts a running launcher's jobs: its state as the last
// daemon stored it (before the launcher's later events are applied to it), with the grid the
// launcher releases on. Compare restoredSnapshot.ts, for a boot without a launcher.
import { dormantSnapshot, type Job, type ProcessSnapshot } from '../core/processModel.js';
import { suspendedJob } from '../core/deadline.js';
import { startGrid } from '../core/releaseGrid.js';
import type { ArmedGrid } from '../runtime/jobHost.js';
import type { StoredProcess } from '../runtime/sqliteStore.js';
import { restartLogOf, restoredRestart } from './storedRestart.js';

export function adoptedSnapshot(entry: StoredProcess, armed: ArmedGrid | null, nowMs: number): ProcessSnapshot {
  const { spec } = entry.definition;
  const restartLog = restartLogOf(entry.restart);
  const base = { ...dormantSnapshot(spec), intent: entry.intent, counters: entry.counters, lastExit: entry.lastExit, restartLog };
  // Its deadline goes on as the daemon before left it: from its release point, its time suspended and its miss kept.
  const { endingAfterMiss, ...jobTiming } = entry.job?.timing ?? { releaseAtMs: null };
  const job: Job | null = entry.job ? { pid: entry.job.pid, startedAtMs: entry.job.startedAtMs, ...jobTiming } : null;
  // A restart pending or held (no job then): the supervisor arms a pending one again.
  const restart = !job && spec.type === 'ONE_SHOT' ? restoredRestart(entry.intent, entry.restart) : null;
  if (restart) return { ...base, runtime: restart };
  // A started PERIODIC process the launcher does not release (the daemon died before arming it) is released at once.
  const grid = spec.type === 'PERIODIC' ? (armed ?? { t0Ms: nowMs, periodMs: spec.periodMs, nextReleaseAtMs: nowMs }) : null;
  switch (entry.intent) {
    case 'STOPPED':
      // A job still here was being stopped when the daemon died.
      return job ? { ...base, runtime: { phase: 'STOPPING', job } } : base;
    case 'SUSPENDED':
      // The launcher does not release a suspended process: RESUME goes on from a grid that begins now.
      // Its suspension goes on, from when it began (stored), or from now: it does not count against its time capacity.
      return { ...base, runtime: { phase: 'SUSPENDED', grid: spec.type === 'PERIODIC' ? startGrid(nowMs, spec.periodMs) : null, job: job && suspendedJob(job, nowMs) } };
    case 'STARTED':
      // Being ended for its deadline miss: ended, then back to its grid or its restart handling.
      if (job && endingAfterMiss) return { ...base, runtime: { phase: 'STOPPING', job, afterDeadlineMiss: { grid } } };
      if (job) return { ...base, runtime: { phase: 'RUNNING', grid, job } };
      if (grid) return { ...base, runtime: { phase: 'WAITING', grid } };
      // A ONE_SHOT whose job was being launched: the launcher's events say whether it started; else it is started.
      return { ...base, runtime: { phase: 'READY', grid: null, releaseAtMs: null, heldJob: null } };
  }
}
