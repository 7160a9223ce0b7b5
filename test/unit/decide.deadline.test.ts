// Time capacity (docs/state-model.md, "Deadlines"): the deadline arithmetic, DEADLINE_DUE in every
// phase, a missed job's end under `log` and `stop`, and what a suspension does to a deadline.
// No clock, no timers, no processes.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { deadlineOf, deadlineTimerAtMs, resumedJob, suspendedJob } from '../../src/core/deadline.js';
import type { Input } from '../../src/core/decision.js';
import type { DeadlineMissAction, ProcessSnapshot, ProcessType, RestartPolicy, TimeCapacity } from '../../src/core/processModel.js';
import {
  BASE_COUNTERS,
  END_GROUP,
  GRID,
  NEXT_RELEASE_MS,
  PERIOD_MS,
  PID,
  RELEASE,
  RELEASE_MS,
  RESUME,
  SUSPEND,
  arm,
  counterChange,
  exited,
  fixturesOf,
  inPhase,
  jobFor,
  snapshot,
} from './decideFixtures.js';

const CAPACITY_MS = 300;
const DEADLINE_MS = RELEASE_MS + CAPACITY_MS;
const DEADLINE_DUE: Input = { kind: 'DEADLINE_DUE' };

function withCapacity(s: ProcessSnapshot, onDeadlineMiss: DeadlineMissAction = 'log', restart: RestartPolicy | null = null): ProcessSnapshot {
  const capacity: TimeCapacity = { timeCapacityMs: CAPACITY_MS, onDeadlineMiss };
  const spec = s.spec.type === 'ONE_SHOT' ? { ...s.spec, restart, capacity } : { ...s.spec, capacity };
  return { ...s, spec };
}

const running = (type: ProcessType, action: DeadlineMissAction = 'log', restart: RestartPolicy | null = null) =>
  withCapacity(snapshot(type, 'RUNNING'), action, restart);

describe('the deadline arithmetic', () => {
  const job = jobFor('PERIODIC');

  it('is the release plus the capacity; a ONE_SHOT job (no release point) counts from its start', () => {
    expect(deadlineOf(job, CAPACITY_MS)).toBe(RELEASE_MS + CAPACITY_MS);
    expect(deadlineOf({ pid: PID, startedAtMs: 7_000, releaseAtMs: null }, 50)).toBe(7_050);
    expect(deadlineOf({ ...job, startedAtMs: RELEASE_MS + 40 }, CAPACITY_MS)).toBe(RELEASE_MS + CAPACITY_MS);
  });

  it('moves later by each suspension, and only once it has ended', () => {
    const suspended = suspendedJob(job, RELEASE_MS + 100);
    expect(deadlineOf(suspended, CAPACITY_MS)).toBe(DEADLINE_MS);
    expect(suspendedJob(suspended, RELEASE_MS + 150)).toBe(suspended);
    const resumed = resumedJob(suspended, RELEASE_MS + 900);
    expect(resumed.suspendedAtMs).toBeUndefined();
    expect(deadlineOf(resumed, CAPACITY_MS)).toBe(DEADLINE_MS + 800);
    const twice = resumedJob(suspendedJob(resumed, RELEASE_MS + 1_000), RELEASE_MS + 1_050);
    expect(deadlineOf(twice, CAPACITY_MS)).toBe(DEADLINE_MS + 850);
    expect(resumedJob(job, RELEASE_MS + 900)).toBe(job);
  });

  it('arms a timer for a running job of a process with a capacity, and for nothing else', () => {
    expect(deadlineTimerAtMs(running('PERIODIC'))).toBe(DEADLINE_MS);
    expect(deadlineTimerAtMs(snapshot('PERIODIC', 'RUNNING'))).toBeNull();
    for (const name of fixturesOf('PERIODIC').filter((fixture) => fixture !== 'RUNNING')) {
      expect(deadlineTimerAtMs(withCapacity(snapshot('PERIODIC', name))), name).toBeNull();
    }
    const missed = decide(running('PERIODIC'), DEADLINE_DUE, DEADLINE_MS).next;
    expect(deadlineTimerAtMs(missed)).toBeNull();
  });
});

describe('DEADLINE_DUE in every phase', () => {
  for (const type of ['ONE_SHOT', 'PERIODIC'] as const) {
    for (const name of fixturesOf(type)) {
      it(`${type} ${name} without a capacity: nothing changes`, () => {
        const s = snapshot(type, name);
        const d = decide(s, DEADLINE_DUE, DEADLINE_MS + 10_000);
        expect(d.next).toEqual(s);
        expect(d.effects).toEqual([]);
        expect(d.deadlineMiss).toBeUndefined();
      });
      if (name === 'RUNNING') continue;
      it(`${type} ${name} with a capacity, long after the deadline: nothing changes (no job runs)`, () => {
        const s = withCapacity(snapshot(type, name), 'stop');
        const d = decide(s, DEADLINE_DUE, DEADLINE_MS + 10_000);
        expect(d.next).toEqual(s);
        expect(d.effects).toEqual([]);
      });
    }
    it(`${type} RUNNING, before the deadline (an early timer): nothing changes`, () => {
      const s = running(type, 'stop');
      const d = decide(s, DEADLINE_DUE, DEADLINE_MS - 1);
      expect(d.next).toEqual(s);
      expect(d.effects).toEqual([]);
    });
  }
});

describe('a miss with onDeadlineMiss log', () => {
  for (const type of ['ONE_SHOT', 'PERIODIC'] as const) {
    it(`${type}: the job runs on, marked; counted once; its run says so when it ends`, () => {
      const s = running(type, 'log');
      const d = decide(s, DEADLINE_DUE, DEADLINE_MS + 5);
      const r = inPhase(d.next.runtime, 'RUNNING');
      expect(r.job.deadlineMissed).toBe(true);
      expect(d.effects).toEqual([]);
      expect(counterChange(s.counters, d.next.counters)).toEqual({ ...zero(), deadlineMisses: 1 });
      expect(d.deadlineMiss).toEqual({ pid: PID, deadlineAtMs: DEADLINE_MS, timeCapacityMs: CAPACITY_MS, action: 'log' });
      const again = decide(d.next, DEADLINE_DUE, DEADLINE_MS + 50);
      expect(again.next).toEqual(d.next);
      const ended = decide(d.next, exited(0), DEADLINE_MS + 200);
      expect(ended.run?.deadlineMissed).toBe(true);
      expect(ended.run?.endedBySigma).toBe(false);
      expect(ended.next.counters.failures).toBe(BASE_COUNTERS.failures);
    });
  }

  it('a job that ends within its capacity: its run is not marked', () => {
    const ended = decide(running('PERIODIC', 'stop'), exited(0), DEADLINE_MS - 1);
    expect(ended.run?.deadlineMissed).toBe(false);
    expect(ended.next.counters.deadlineMisses).toBe(BASE_COUNTERS.deadlineMisses);
  });
});

describe('a miss with onDeadlineMiss stop', () => {
  it('PERIODIC: ended as STOP ends it, the release timer kept; then WAITING on its grid, a failure', () => {
    const s = running('PERIODIC', 'stop');
    const d = decide(s, DEADLINE_DUE, DEADLINE_MS + 5);
    const r = inPhase(d.next.runtime, 'STOPPING');
    expect(r.afterDeadlineMiss).toEqual({ grid: GRID });
    expect(d.next.intent).toBe('STARTED');
    expect(d.effects).toEqual([END_GROUP]);
    expect(d.next.counters.deadlineMisses).toBe(BASE_COUNTERS.deadlineMisses + 1);
    const ended = decide(d.next, exited(null, 'SIGTERM'), DEADLINE_MS + 20);
    expect(inPhase(ended.next.runtime, 'WAITING').grid).toEqual(GRID);
    expect(ended.next.intent).toBe('STARTED');
    expect(ended.run).toMatchObject({ deadlineMissed: true, endedBySigma: true, signal: 'SIGTERM' });
    expect(ended.next.lastExit?.error).toBe(`deadline missed: still running ${CAPACITY_MS} ms after its release`);
    expect(counterChange(d.next.counters, ended.next.counters)).toEqual({ ...zero(), failures: 1 });
    expect(ended.effects).toEqual([]);
  });

  it('PERIODIC: a release point while the job is being ended is an overrun, and the grid moves on', () => {
    const stopping = decide(running('PERIODIC', 'stop'), DEADLINE_DUE, DEADLINE_MS).next;
    const d = decide(stopping, RELEASE(true), NEXT_RELEASE_MS + 1);
    const r = inPhase(d.next.runtime, 'STOPPING');
    expect(r.afterDeadlineMiss?.grid?.nextReleaseAtMs).toBe(NEXT_RELEASE_MS + PERIOD_MS);
    expect(counterChange(stopping.counters, d.next.counters)).toEqual({ ...zero(), overruns: 1 });
    expect(d.effects).toEqual([arm(NEXT_RELEASE_MS + PERIOD_MS)]);
    const passed = decide(stopping, { kind: 'RELEASE_PASSED', releaseAtMs: NEXT_RELEASE_MS, count: 1, overrun: true }, NEXT_RELEASE_MS + 1);
    expect(counterChange(stopping.counters, passed.next.counters)).toEqual({ ...zero(), overruns: 1 });
    expect(inPhase(passed.next.runtime, 'STOPPING').afterDeadlineMiss?.grid?.nextReleaseAtMs).toBe(NEXT_RELEASE_MS + PERIOD_MS);
  });

  it('ONE_SHOT without a restart policy: DORMANT, a failure, the error in lastExit', () => {
    const stopping = decide(running('ONE_SHOT', 'stop'), DEADLINE_DUE, DEADLINE_MS).next;
    const ended = decide(stopping, exited(null, 'SIGTERM'), DEADLINE_MS + 20);
    expect(ended.next.runtime.phase).toBe('DORMANT');
    expect(ended.next.intent).toBe('STOPPED');
    expect(ended.next.counters.failures).toBe(BASE_COUNTERS.failures + 1);
    expect(ended.next.lastExit?.error).toMatch(/^deadline missed: still running 300 ms after its release/);
    expect(ended.run?.deadlineMissed).toBe(true);
  });

  it('ONE_SHOT with restart on-failure: WAITING for its restart', () => {
    const policy: RestartPolicy = { policy: 'on-failure', delayMs: 100, maxDelayMs: 400, limit: { count: 3, windowMs: 60_000 } };
    const stopping = decide(running('ONE_SHOT', 'stop', policy), DEADLINE_DUE, DEADLINE_MS).next;
    const ended = decide(stopping, exited(null, 'SIGKILL'), DEADLINE_MS + 20);
    expect(inPhase(ended.next.runtime, 'RESTART_PENDING').restartAtMs).toBe(DEADLINE_MS + 20 + 100);
    expect(ended.next.intent).toBe('STARTED');
    expect(ended.effects).toEqual([{ kind: 'ARM_RESTART', atMs: DEADLINE_MS + 120 }]);
  });
});

describe('a suspension moves the deadline', () => {
  it('SUSPEND then RESUME: the deadline is later by the time suspended; no miss before it', () => {
    const s = running('PERIODIC', 'stop');
    const suspended = decide(s, SUSPEND, RELEASE_MS + 100).next;
    expect(inPhase(suspended.runtime, 'SUSPENDED').job?.suspendedAtMs).toBe(RELEASE_MS + 100);
    expect(decide(suspended, DEADLINE_DUE, DEADLINE_MS + 1).next).toEqual(suspended);
    const resumed = decide(suspended, RESUME(true), RELEASE_MS + 900).next;
    expect(deadlineTimerAtMs(resumed)).toBe(DEADLINE_MS + 800);
    expect(decide(resumed, DEADLINE_DUE, DEADLINE_MS + 1).next).toEqual(resumed);
    const missed = decide(resumed, DEADLINE_DUE, DEADLINE_MS + 800);
    expect(missed.next.runtime.phase).toBe('STOPPING');
    expect(missed.note).toBe(`deadline missed: still running ${CAPACITY_MS} ms after its release (not counting 800 ms suspended)`);
  });

  it('resumed without a free slot (READY, still stopped): the suspension ended at RESUME', () => {
    const suspended = decide(running('ONE_SHOT'), SUSPEND, RELEASE_MS + 100).next;
    const held = decide(suspended, RESUME(false), RELEASE_MS + 300).next;
    const job = inPhase(held.runtime, 'READY').heldJob;
    expect(job && deadlineOf(job, CAPACITY_MS)).toBe(DEADLINE_MS + 200);
  });
});

function zero() {
  return { runs: 0, overruns: 0, skipped: 0, failures: 0, restarts: 0, deadlineMisses: 0 };
}
