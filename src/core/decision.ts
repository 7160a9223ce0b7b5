// What goes into the state machine (inputs) and what comes out of it (a decision).
import type { Operation, ProcessSnapshot, RunRecord } from './processModel.js';

/** Inputs: the operator's operations and the events the node reports back. */
export type Input =
  /** With delayMs, the first release is that long after (APEX DELAYED_START). */
  | { readonly kind: 'START'; readonly slotFree: boolean; readonly delayMs?: number }
  | { readonly kind: 'STOP' }
  | { readonly kind: 'SUSPEND' }
  | { readonly kind: 'RESUME'; readonly slotFree: boolean }
  /** The restart timer fired (ONE_SHOT, a restart pending). */
  | { readonly kind: 'RESTART_DUE'; readonly slotFree: boolean }
  /** The release timer fired (PERIODIC). */
  | { readonly kind: 'RELEASE'; readonly slotFree: boolean }
  /** A running slot was handed to this READY process. */
  | { readonly kind: 'SLOT_GRANTED' }
  | { readonly kind: 'JOB_SPAWNED'; readonly pid: number }
  | { readonly kind: 'SPAWN_FAILED'; readonly error: string }
  /**
   * The job's leader has exited and nothing of its process group is left, or sigma gave up on
   * what it could not end (`error` says what was left).
   */
  | {
      readonly kind: 'JOB_ENDED';
      readonly pid: number;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly error?: string | null;
      /** The kernel's OOM killer ended a process of the job. */
      readonly oomKilled?: boolean;
    }
  /**
   * The launcher started a job on its own: at a release point of the grid the supervisor armed
   * (`releaseAtMs`), or for a request whose answer a daemon that died never stored (null).
   * `skippedBefore`: earlier points that a late wake-up passed over.
   */
  | { readonly kind: 'RELEASED'; readonly pid: number; readonly releaseAtMs: number | null; readonly skippedBefore: number }
  /** Release points passed without a job: the previous job still ran (overrun), or none could be started (skipped). */
  | { readonly kind: 'RELEASE_PASSED'; readonly releaseAtMs: number; readonly count: number; readonly overrun: boolean }
  /** The launcher's spawn at a release point failed. */
  | { readonly kind: 'RELEASE_FAILED'; readonly releaseAtMs: number; readonly error: string; readonly skippedBefore: number }
  /** The deadline timer fired (time capacity): decided against the job running now. */
  | { readonly kind: 'DEADLINE_DUE' }
  /** The daemon is shutting down: end the job but keep the operator's intent for the next boot. */
  | { readonly kind: 'SHUTDOWN' };

export type InputKind = Input['kind'];

export function isOperation(kind: InputKind): kind is Operation {
  return kind === 'START' || kind === 'STOP' || kind === 'SUSPEND' || kind === 'RESUME';
}

/** Effects the supervisor performs, in order, after persisting the decision. */
export type Effect =
  /** Spawn a job; its outcome comes back as JOB_SPAWNED or SPAWN_FAILED. */
  | { readonly kind: 'SPAWN_JOB' }
  | { readonly kind: 'SIGNAL_GROUP'; readonly pid: number; readonly signal: 'SIGSTOP' | 'SIGCONT' }
  /** SIGTERM (and SIGCONT) to the group, SIGKILL after graceMs; JOB_ENDED follows once it is gone. */
  | { readonly kind: 'END_GROUP'; readonly pid: number; readonly graceMs: number }
  | { readonly kind: 'ARM_RELEASE'; readonly atMs: number }
  | { readonly kind: 'CANCEL_RELEASE' }
  /** The supervisor's own timer for a pending restart; RESTART_DUE follows. */
  | { readonly kind: 'ARM_RESTART'; readonly atMs: number }
  | { readonly kind: 'CANCEL_RESTART' };

export interface Outcome {
  readonly result: 'OK' | 'FAILED';
  readonly reason?: string;
}

export interface Decision {
  readonly next: ProcessSnapshot;
  readonly effects: readonly Effect[];
  /** Set when this step settles an operation; absent while a spawn or a termination is pending. */
  readonly outcome?: Outcome;
  /** A run (or failed attempt) to append to the history. */
  readonly run?: RunRecord;
  /** What the restart policy decided (a restart planned, or sigma giving up), for the log and the events. */
  readonly note?: string;
  /** The job missed its deadline at this step: told as an event and counted in the metrics. */
  readonly deadlineMiss?: DeadlineMiss;
}

/** A job still running at its deadline. */
export interface DeadlineMiss {
  readonly pid: number;
  readonly deadlineAtMs: number;
  readonly timeCapacityMs: number;
  /** What sigma does about it: `stop` ends the job as STOP would. */
  readonly action: 'log' | 'stop';
}
