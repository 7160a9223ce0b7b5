// Fixed-time snapshots of a process in every phase, and the runner for the table cells of
// docs/state-model.md (shared/design/state-model.md): no clock, no timers, no processes.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { isOperation, type Decision, type Effect, type Input } from '../../src/core/decision.js';
import {
  EMPTY_RESTART_LOG,
  jobOf,
  wireStateOf,
  ZERO_COUNTERS,
  type Counters,
  type Intent,
  type Job,
  type LastExit,
  type Operation,
  type Phase,
  type ProcessSnapshot,
  type ProcessSpec,
  type ProcessType,
  type ReleaseGrid,
  type RunRecord,
  type Runtime,
  type WireState,
} from '../../src/core/processModel.js';

// The fixtures' clock: a PERIODIC process started at T0_MS, its release at RELEASE_MS handled,
// the next one due at NEXT_RELEASE_MS, and "now" half-way between the two.
export const PERIOD_MS = 1_000;
export const STOP_TIMEOUT_MS = 5_000;
export const T0_MS = 10_000;
export const RELEASE_MS = 12_000;
export const NEXT_RELEASE_MS = 13_000;
export const NOW_MS = 12_500;
export const PID = 4242;
export const NEW_PID = 5151;
/** Non-zero, so that a reset shows as clearly as an increment. */
export const BASE_COUNTERS: Counters = { runs: 3, overruns: 1, skipped: 2, failures: 1, restarts: 0, deadlineMisses: 0 };

export const GRID: ReleaseGrid = { t0Ms: T0_MS, periodMs: PERIOD_MS, nextReleaseAtMs: NEXT_RELEASE_MS };

export function specOf(type: ProcessType): ProcessSpec {
  return type === 'ONE_SHOT'
    ? { type, periodMs: null, stopTimeoutMs: STOP_TIMEOUT_MS, restart: null }
    : { type, periodMs: PERIOD_MS, stopTimeoutMs: STOP_TIMEOUT_MS };
}

export function jobFor(type: ProcessType): Job {
  return { pid: PID, startedAtMs: RELEASE_MS, releaseAtMs: type === 'PERIODIC' ? RELEASE_MS : null };
}

export const FIXTURES = [
  'DORMANT',
  'WAITING',
  'READY',
  'READY_HELD',
  'LAUNCHING',
  'LAUNCHING_AT_RELEASE',
  'RUNNING',
  'STOPPING',
  'SUSPENDED_JOB',
  'SUSPENDED_NO_JOB',
] as const;
export type FixtureName = (typeof FIXTURES)[number];

/** WAITING needs a release grid, which only a PERIODIC process has. */
export const fixturesOf = (type: ProcessType): FixtureName[] =>
  FIXTURES.filter((name) => type === 'PERIODIC' || name !== 'WAITING');

/** A process of `type` in the phase `name`, as the state machine itself would have left it. */
export function snapshot(type: ProcessType, name: FixtureName): ProcessSnapshot {
  const grid = type === 'PERIODIC' ? GRID : null;
  const job = jobFor(type);
  const queued = type === 'PERIODIC' ? RELEASE_MS : null;
  const [intent, runtime] = ((): [Intent, Runtime] => {
    switch (name) {
      case 'DORMANT':
        return ['STOPPED', { phase: 'DORMANT' }];
      case 'WAITING':
        if (!grid) throw new Error('a ONE_SHOT process is never WAITING');
        return ['STARTED', { phase: 'WAITING', grid }];
      case 'READY':
        return ['STARTED', { phase: 'READY', grid, releaseAtMs: queued, heldJob: null }];
      case 'READY_HELD':
        return ['STARTED', { phase: 'READY', grid, releaseAtMs: null, heldJob: job }];
      case 'LAUNCHING':
        return ['STARTED', { phase: 'LAUNCHING', grid, releaseAtMs: queued, byOperation: true }];
      case 'LAUNCHING_AT_RELEASE':
        return ['STARTED', { phase: 'LAUNCHING', grid, releaseAtMs: queued, byOperation: false }];
      case 'RUNNING':
        return ['STARTED', { phase: 'RUNNING', grid, job }];
      case 'STOPPING':
        return ['STOPPED', { phase: 'STOPPING', job }];
      case 'SUSPENDED_JOB':
        return ['SUSPENDED', { phase: 'SUSPENDED', grid, job }];
      case 'SUSPENDED_NO_JOB':
        return ['SUSPENDED', { phase: 'SUSPENDED', grid, job: null }];
    }
  })();
  return { spec: specOf(type), intent, runtime, counters: BASE_COUNTERS, lastExit: null, restartLog: EMPTY_RESTART_LOG };
}

// Inputs and effects, spelled the way the spec's tables read.
export const START = (slotFree = true): Input => ({ kind: 'START', slotFree });
export const RESUME = (slotFree = true): Input => ({ kind: 'RESUME', slotFree });
export const RELEASE = (slotFree = true): Input => ({ kind: 'RELEASE', slotFree });
export const STOP: Input = { kind: 'STOP' };
export const SUSPEND: Input = { kind: 'SUSPEND' };
export const SLOT_GRANTED: Input = { kind: 'SLOT_GRANTED' };
export const SHUTDOWN: Input = { kind: 'SHUTDOWN' };
export const SPAWN_ERROR = 'spawn ./missing ENOENT';
export const spawned = (pid = NEW_PID): Input => ({ kind: 'JOB_SPAWNED', pid });
export const spawnFailed: Input = { kind: 'SPAWN_FAILED', error: SPAWN_ERROR };
export const exited = (exitCode: number | null, signal: string | null = null, pid = PID): Input => ({
  kind: 'JOB_ENDED',
  pid,
  exitCode,
  signal,
});

export const SPAWN: Effect = { kind: 'SPAWN_JOB' };
export const CANCEL: Effect = { kind: 'CANCEL_RELEASE' };
export const END_GROUP: Effect = { kind: 'END_GROUP', pid: PID, graceMs: STOP_TIMEOUT_MS };
export const signalGroup = (signal: 'SIGSTOP' | 'SIGCONT', pid = PID): Effect => ({ kind: 'SIGNAL_GROUP', pid, signal });
export const arm = (atMs: number): Effect => ({ kind: 'ARM_RELEASE', atMs });

export const TARGETS: Record<Operation, readonly WireState[]> = {
  START: ['READY', 'RUNNING', 'WAITING'],
  RESUME: ['READY', 'RUNNING', 'WAITING'],
  STOP: ['DORMANT'],
  SUSPEND: ['SUSPENDEND'],
};

/** The runtime narrowed to `phase`, failing the test when it is another one. */
export function inPhase<P extends Phase>(runtime: Runtime, phase: P): Extract<Runtime, { phase: P }> {
  expect(runtime.phase).toBe(phase);
  return runtime as Extract<Runtime, { phase: P }>;
}

export function counterChange(before: Counters, after: Counters): Counters {
  return {
    runs: after.runs - before.runs,
    overruns: after.overruns - before.overruns,
    skipped: after.skipped - before.skipped,
    failures: after.failures - before.failures,
    restarts: after.restarts - before.restarts,
    deadlineMisses: after.deadlineMisses - before.deadlineMisses,
  };
}

/** One step of a cell: an input and everything the spec says about the decision it yields. */
export interface Step {
  readonly input: Input;
  readonly atMs?: number;
  /** The wire state right after this step. */
  readonly wire: WireState;
  readonly phase?: Phase;
  /** Absent: the step settles nothing (a pending operation, or an event). */
  readonly outcome?: 'OK' | 'FAILED';
  readonly reason?: RegExp;
  /** Exactly these effects, in this order; none when absent. */
  readonly effects?: readonly Effect[];
  /** How the counters move; they stay put when absent. */
  readonly counters?: Partial<Counters>;
  /** The intent after the step; unchanged when absent (for FAILED: the one before the operation). */
  readonly intent?: Intent;
  /** "OK, no change": the snapshot is exactly the one before. */
  readonly unchanged?: boolean;
  /** A run appended to the history; none when absent. */
  readonly run?: Partial<RunRecord>;
  /** The recorded last exit; untouched when absent. */
  readonly lastExit?: Partial<LastExit>;
  readonly check?: (decision: Decision) => void;
}

export interface Cell {
  readonly name: string;
  readonly from: FixtureName;
  readonly steps: readonly Step[];
}

/** Plays a cell's steps from its fixture and checks each decision against the cell. */
export function playCell(type: ProcessType, cell: Cell): void {
  let current = snapshot(type, cell.from);
  let beforeOperation = current;
  for (const step of cell.steps) {
    if (isOperation(step.input.kind)) beforeOperation = current;
    const d = decide(current, step.input, step.atMs ?? NOW_MS);
    const label = `${step.input.kind} from ${current.runtime.phase}`;
    expect(wireStateOf(d.next.runtime), `${label}: wire state`).toBe(step.wire);
    if (step.phase) expect(d.next.runtime.phase, `${label}: phase`).toBe(step.phase);
    expect(d.outcome?.result, `${label}: outcome`).toBe(step.outcome);
    if (step.outcome === 'FAILED') {
      expect(d.outcome?.reason, `${label}: reason`).toMatch(step.reason ?? /\S/);
      expect(d.next.runtime, `${label}: FAILED leaves the state unchanged`).toEqual(beforeOperation.runtime);
    }
    expect(d.effects, `${label}: effects`).toEqual(step.effects ?? []);
    expect(counterChange(current.counters, d.next.counters), `${label}: counters`).toEqual({ ...ZERO_COUNTERS, ...step.counters });
    const intent = step.intent ?? (step.outcome === 'FAILED' ? beforeOperation.intent : current.intent);
    expect(d.next.intent, `${label}: intent`).toBe(intent);
    if (step.unchanged) expect(d.next, `${label}: no change`).toEqual(current);
    if (step.run) expect(d.run, `${label}: run recorded`).toMatchObject(step.run);
    else expect(d.run, `${label}: no run recorded`).toBeUndefined();
    if (step.lastExit) expect(d.next.lastExit, `${label}: last exit`).toMatchObject(step.lastExit);
    else expect(d.next.lastExit, `${label}: last exit untouched`).toEqual(current.lastExit);
    step.check?.(d);
    current = d.next;
  }
}

/** Every input variant a process in `s` could be handed, slotFree both ways where it applies. */
export function allInputs(s: ProcessSnapshot): Input[] {
  const pid = jobOf(s.runtime)?.pid ?? PID;
  return [
    START(true), START(false), RESUME(true), RESUME(false), RELEASE(true), RELEASE(false),
    STOP, SUSPEND, SLOT_GRANTED, spawned(), spawnFailed, exited(0, null, pid), SHUTDOWN,
  ];
}

export const inputLabel = (input: Input): string =>
  'slotFree' in input ? `${input.kind}(slotFree=${input.slotFree})` : input.kind;

/**
 * Carries a pending operation through the supervisor's follow-up: the spawn succeeds (or fails,
 * with `spawnFails`), the group ends. Settled decisions come back as they are.
 */
export function settle(d: Decision, nowMs: number, spawnFails = false): Decision {
  if (d.outcome) return d;
  const r = d.next.runtime;
  if (r.phase === 'LAUNCHING') return decide(d.next, spawnFails ? spawnFailed : spawned(), nowMs);
  if (r.phase === 'STOPPING') return decide(d.next, exited(null, 'SIGTERM', r.job.pid), nowMs);
  return d;
}

/**
 * The result rule, over every phase x input x slotFree of one type: decide never throws; an
 * operation is OK exactly when the state it reaches (after a successful spawn or end of group)
 * is in its target condition; FAILED leaves runtime, counters and intent as they were. When a
 * spawn the operation waits on fails, FAILED still leaves runtime and intent as they were.
 */
export function describeResultRule(type: ProcessType): void {
  describe(`${type}: the result rule over every phase x input`, () => {
    for (const name of fixturesOf(type)) {
      const before = snapshot(type, name);
      // The supervisor runs one step at a time per process, so an operation never meets the
      // transient phases; for them only totality (no throw, spec kept) is checked.
      const transient = before.runtime.phase === 'LAUNCHING' || before.runtime.phase === 'STOPPING';
      for (const input of allInputs(before)) {
        it(`${name} x ${inputLabel(input)}`, () => {
          const first = decide(before, input, NOW_MS);
          expect(first.next.spec).toEqual(before.spec);
          if (!isOperation(input.kind) || transient) return;
          const settled = settle(first, NOW_MS);
          const reached = wireStateOf(settled.next.runtime);
          const expected = TARGETS[input.kind].includes(reached) ? 'OK' : 'FAILED';
          expect(settled.outcome?.result, `${input.kind} reached ${reached}`).toBe(expected);
          if (settled.outcome?.result === 'FAILED') {
            expect(settled.outcome.reason).toMatch(/\S/);
            const { runtime, counters, intent } = settled.next;
            expect({ runtime, counters, intent }).toEqual({ runtime: before.runtime, counters: before.counters, intent: before.intent });
          }
        });
      }
    }
  });

  describe(`${type}: an operation whose spawn fails is FAILED and leaves the state as it was`, () => {
    for (const name of fixturesOf(type)) {
      const before = snapshot(type, name);
      for (const input of allInputs(before)) {
        if (!isOperation(input.kind)) continue;
        const first = decide(before, input, NOW_MS);
        if (first.outcome || first.next.runtime.phase !== 'LAUNCHING') continue;
        it(`${name} x ${inputLabel(input)}, then SPAWN_FAILED`, () => {
          const settled = settle(first, NOW_MS, true);
          expect(settled.outcome?.result).toBe('FAILED');
          expect(settled.outcome?.reason).toContain(SPAWN_ERROR);
          const { runtime, intent } = settled.next;
          expect({ runtime, intent }).toEqual({ runtime: before.runtime, intent: before.intent });
          expect(counterChange(before.counters, settled.next.counters)).toEqual({ ...ZERO_COUNTERS, failures: 1 });
          expect(settled.next.lastExit?.error).toBe(SPAWN_ERROR);
        });
      }
    }
  });
}

// Steps that recur across both tables.
export const okNoChange = (input: Input, wire: WireState): Step => ({ input, wire, outcome: 'OK', unchanged: true });
export const refused = (input: Input, wire: WireState, reason: RegExp): Step => ({
  input,
  wire,
  outcome: 'FAILED',
  reason,
  unchanged: true,
});
/** An event the state machine has nothing to do with ("—" in the tables): ignored. */
export const ignored = (input: Input, wire: WireState): Step => ({ input, wire, unchanged: true });
/** The group sigma ended is gone: the pending STOP (or SHUTDOWN) settles, the run is recorded. */
export const groupGone: Step = {
  input: exited(null, 'SIGTERM'),
  wire: 'DORMANT',
  phase: 'DORMANT',
  outcome: 'OK',
  run: { pid: PID, exitCode: null, signal: 'SIGTERM', startedAtMs: RELEASE_MS, endedAtMs: NOW_MS, endedBySigma: true },
  lastExit: { code: null, signal: 'SIGTERM', atMs: NOW_MS, durationMs: NOW_MS - RELEASE_MS, error: null },
};
/** The spawn the supervisor performed failed: recorded, counted. */
export const spawnFailure = (releaseAtMs: number | null, atMs = NOW_MS): Pick<Step, 'counters' | 'run' | 'lastExit'> => ({
  counters: { failures: 1 },
  run: { pid: null, error: SPAWN_ERROR, releaseAtMs, endedBySigma: false },
  lastExit: { code: null, signal: null, atMs, durationMs: 0, error: SPAWN_ERROR },
});
