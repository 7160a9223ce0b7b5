// The process model of the pure core: what a process is at an instant, as data.
// Every time here is a reading of the monotonic clock in epoch milliseconds (see runtime/clock.ts).

export const PROCESS_TYPES = ['ONE_SHOT', 'PERIODIC'] as const;
export type ProcessType = (typeof PROCESS_TYPES)[number];

/** The states as the contract sends them; it spells the suspended state `SUSPENDEND`. */
export const WIRE_STATES = ['DORMANT', 'WAITING', 'READY', 'RUNNING', 'SUSPENDEND'] as const;
export type WireState = (typeof WIRE_STATES)[number];

export const OPERATIONS = ['START', 'SUSPEND', 'RESUME', 'STOP'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const RESTART_POLICIES = ['never', 'on-failure', 'always'] as const;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];

/** When a ONE_SHOT job that ended is released again, and when sigma gives up. */
export interface RestartPolicy {
  readonly policy: RestartPolicyName;
  /** The delay before the first restart of a run of consecutive ones; it doubles after each. */
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** More than `count` restarts inside `windowMs`: the process is left DORMANT. */
  readonly limit: { readonly count: number; readonly windowMs: number };
}

export const DEADLINE_MISS_ACTIONS = ['log', 'stop'] as const;
/** What sigma does with a job still running at its deadline: only count and tell it, or end it as STOP does. */
export type DeadlineMissAction = (typeof DEADLINE_MISS_ACTIONS)[number];

/** APEX time capacity: a job's deadline is its release plus `timeCapacityMs` (time suspended not counted). */
export interface TimeCapacity {
  readonly timeCapacityMs: number;
  readonly onDeadlineMiss: DeadlineMissAction;
}

/** What the restart policy remembers: the last delay used (null: none in a row) and when the recent restarts were. */
export interface RestartLog {
  readonly lastDelayMs: number | null;
  /** Oldest first; only those inside the policy's window are kept. */
  readonly recentAtMs: readonly number[];
}

export const EMPTY_RESTART_LOG: RestartLog = { lastDelayMs: null, recentAtMs: [] };

/** What the operator asked for last; it survives a restart of the daemon. */
export type Intent = 'STOPPED' | 'STARTED' | 'SUSPENDED';

/** One execution of a process's command: one OS process group led by `pid`. */
export interface Job {
  readonly pid: number;
  readonly startedAtMs: number;
  /** The release point this job belongs to (PERIODIC), else null. */
  readonly releaseAtMs: number | null;
  /** Time spent suspended so far (it moves the deadline later); absent: none. */
  readonly suspendedMs?: number;
  /** When its current suspension began, while suspended by the operator. */
  readonly suspendedAtMs?: number;
  /** It was still running at its deadline (counted once, recorded in its run). */
  readonly deadlineMissed?: true;
}

/** The drift-free release grid of a started PERIODIC process: releases at t0Ms + k * periodMs. */
export interface ReleaseGrid {
  readonly t0Ms: number;
  readonly periodMs: number;
  /** The first release point not yet handled (run, overrun or skipped). */
  readonly nextReleaseAtMs: number;
}

/**
 * Where a process is, with only the data each phase can have. LAUNCHING and STOPPING are the
 * short-lived phases while a spawn or a group termination is under way; the wire shows them
 * as READY and RUNNING.
 */
export type Runtime =
  | { readonly phase: 'DORMANT' }
  | { readonly phase: 'WAITING'; readonly grid: ReleaseGrid }
  /**
   * ONE_SHOT, wire WAITING: its job ended and the restart policy releases it again at restartAtMs,
   * or (delayedStart) a START with a delay runs its first job then.
   */
  | { readonly phase: 'RESTART_PENDING'; readonly restartAtMs: number; readonly delayedStart?: true }
  | {
      readonly phase: 'READY';
      readonly grid: ReleaseGrid | null;
      /** The release waiting for a slot (PERIODIC), else null. */
      readonly releaseAtMs: number | null;
      /** A job resumed while no slot was free: still stopped, continued when a slot frees. */
      readonly heldJob: Job | null;
    }
  | {
      readonly phase: 'LAUNCHING';
      readonly grid: ReleaseGrid | null;
      readonly releaseAtMs: number | null;
      /** True when an operator's request caused this launch, so its failure fails that request. */
      readonly byOperation: boolean;
    }
  | { readonly phase: 'RUNNING'; readonly grid: ReleaseGrid | null; readonly job: Job }
  /**
   * `afterDeadlineMiss`: ended by sigma at its deadline, the process still started: a PERIODIC one
   * goes back to WAITING on this grid, a ONE_SHOT one ends as a failure.
   */
  | { readonly phase: 'STOPPING'; readonly job: Job; readonly afterDeadlineMiss?: { readonly grid: ReleaseGrid | null } }
  | {
      readonly phase: 'SUSPENDED';
      readonly grid: ReleaseGrid | null;
      readonly job: Job | null;
      /** A restart (or a delayed START: heldStart) held by the suspension: RESUME releases it this long after. */
      readonly heldRestartMs?: number;
      readonly heldStart?: true;
    };

export type Phase = Runtime['phase'];

export interface Counters {
  /** Jobs started. */
  readonly runs: number;
  /** Release points that found the previous release still READY or RUNNING. */
  readonly overruns: number;
  /** Release points that never ran: inside a suspension, dropped from the queue, or missed by a late timer. */
  readonly skipped: number;
  /** Spawn failures, and jobs that ended on their own with a non-zero code or a signal. */
  readonly failures: number;
  /** Jobs released again by the restart policy. */
  readonly restarts: number;
  /** Jobs still running at their deadline (time capacity). */
  readonly deadlineMisses: number;
}

export const ZERO_COUNTERS: Counters = { runs: 0, overruns: 0, skipped: 0, failures: 0, restarts: 0, deadlineMisses: 0 };

/** How the last job ended, or why it could not start. */
export interface LastExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly atMs: number;
  readonly durationMs: number;
  readonly error: string | null;
  /** True when the kernel's OOM killer ended it (its partition's memory limit). */
  readonly oomKilled: boolean;
}

/** A finished run (or a failed attempt), as recorded in the run history. */
export interface RunRecord {
  readonly pid: number | null;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly releaseAtMs: number | null;
  readonly error: string | null;
  /** True when sigma ended the job (STOP, DELETE, shutdown). */
  readonly endedBySigma: boolean;
  /** True when the kernel's OOM killer ended it (its partition's memory limit). */
  readonly oomKilled: boolean;
  /** True when it was still running at its deadline (time capacity). */
  readonly deadlineMissed: boolean;
}

/** The fixed part of a definition that the state machine needs. */
export type ProcessSpec =
  | { readonly type: 'ONE_SHOT'; readonly periodMs: null; readonly stopTimeoutMs: number; readonly restart: RestartPolicy | null; readonly capacity?: TimeCapacity | null }
  | { readonly type: 'PERIODIC'; readonly periodMs: number; readonly stopTimeoutMs: number; readonly capacity?: TimeCapacity | null };

/** The restart policy of a process, null when its jobs are never restarted. */
export function restartPolicyOf(spec: ProcessSpec): RestartPolicy | null {
  return spec.type === 'ONE_SHOT' && spec.restart !== null && spec.restart.policy !== 'never' ? spec.restart : null;
}

export interface ProcessSnapshot {
  readonly spec: ProcessSpec;
  readonly intent: Intent;
  readonly runtime: Runtime;
  readonly counters: Counters;
  readonly lastExit: LastExit | null;
  readonly restartLog: RestartLog;
}

export function wireStateOf(runtime: Runtime): WireState {
  switch (runtime.phase) {
    case 'DORMANT':
      return 'DORMANT';
    case 'WAITING':
    case 'RESTART_PENDING':
      return 'WAITING';
    case 'READY':
    case 'LAUNCHING':
      return 'READY';
    case 'RUNNING':
    case 'STOPPING':
      return 'RUNNING';
    case 'SUSPENDED':
      return 'SUSPENDEND';
  }
}

/** The live job of a process, if any (a held or suspended job included). */
export function jobOf(runtime: Runtime): Job | null {
  switch (runtime.phase) {
    case 'RUNNING':
    case 'STOPPING':
      return runtime.job;
    case 'SUSPENDED':
      return runtime.job;
    case 'READY':
      return runtime.heldJob;
    default:
      return null;
  }
}

/** Whether this process holds one of the node's running slots. */
export function holdsSlot(runtime: Runtime): boolean {
  return runtime.phase === 'RUNNING' || runtime.phase === 'LAUNCHING' || runtime.phase === 'STOPPING';
}

export function dormantSnapshot(spec: ProcessSpec): ProcessSnapshot {
  return { spec, intent: 'STOPPED', runtime: { phase: 'DORMANT' }, counters: ZERO_COUNTERS, lastExit: null, restartLog: EMPTY_RESTART_LOG };
}
