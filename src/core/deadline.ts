// APEX time capacity: when a job's deadline is, and what a suspension does to it. Pure: the
// clock's reading is an argument.
import type { Job, ProcessSnapshot, TimeCapacity } from './processModel.js';

/** The instant the job's time capacity runs out: its release (or start) plus capacity, plus the time it spent suspended. */
export function deadlineOf(job: Job, timeCapacityMs: number): number {
  return (job.releaseAtMs ?? job.startedAtMs) + timeCapacityMs + (job.suspendedMs ?? 0);
}

/** When the supervisor's deadline timer should fire for this process: a running job not yet past its deadline; else null. */
export function deadlineTimerAtMs(snapshot: ProcessSnapshot): number | null {
  const { runtime } = snapshot;
  const capacity = snapshot.spec.capacity;
  if (!capacity || runtime.phase !== 'RUNNING' || runtime.job.deadlineMissed) return null;
  return deadlineOf(runtime.job, capacity.timeCapacityMs);
}

/** The job as its suspension begins (SIGSTOP by the operator). */
export function suspendedJob(job: Job, nowMs: number): Job {
  return job.suspendedAtMs === undefined ? { ...job, suspendedAtMs: nowMs } : job;
}

/** The job as its suspension ends: the time suspended is added, and so moves its deadline. */
export function resumedJob(job: Job, nowMs: number): Job {
  if (job.suspendedAtMs === undefined) return job;
  const { suspendedAtMs, ...rest } = job;
  return { ...rest, suspendedMs: (job.suspendedMs ?? 0) + Math.max(0, nowMs - suspendedAtMs) };
}

/** Why a job was ended at its deadline (its run's error, the process's lastExit.error). */
export function deadlineMissReason(job: Job, capacity: TimeCapacity): string {
  const suspendedMs = Math.round(job.suspendedMs ?? 0);
  const suspended = suspendedMs > 0 ? ` (not counting ${suspendedMs} ms suspended)` : '';
  return `deadline missed: still running ${capacity.timeCapacityMs} ms after its release${suspended}`;
}
