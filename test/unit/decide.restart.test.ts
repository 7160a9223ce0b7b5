// Restart policies (docs/state-model.md, "Restarts"): every input in the phases a restart adds
// (a restart pending, a restart held by a suspension), the ends of a job that start one, and the
// backoff and limit arithmetic. No clock, no timers, no processes.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Input } from '../../src/core/decision.js';
import { EMPTY_RESTART_LOG, wireStateOf, type ProcessSnapshot, type RestartLog, type RestartPolicy, type Runtime } from '../../src/core/processModel.js';
import { planRestart, withRestartAt } from '../../src/core/restartPlan.js';
import {
  BASE_COUNTERS,
  NEW_PID,
  NOW_MS,
  PID,
  RELEASE_MS,
  RESUME,
  SHUTDOWN,
  SLOT_GRANTED,
  SPAWN,
  SPAWN_ERROR,
  START,
  STOP,
  STOP_TIMEOUT_MS,
  SUSPEND,
  counterChange,
  exited,
  jobFor,
  spawnFailed,
  spawned,
} from './decideFixtures.js';

const POLICY: RestartPolicy = { policy: 'on-failure', delayMs: 100, maxDelayMs: 400, limit: { count: 3, windowMs: 60_000 } };
const RESTART_AT_MS = NOW_MS + 300;

function oneShot(runtime: Runtime, policy: RestartPolicy | null = POLICY, restartLog: RestartLog = EMPTY_RESTART_LOG): ProcessSnapshot {
  const intent = runtime.phase === 'SUSPENDED' ? 'SUSPENDED' : runtime.phase === 'DORMANT' || runtime.phase === 'STOPPING' ? 'STOPPED' : 'STARTED';
  return { spec: { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: STOP_TIMEOUT_MS, restart: policy }, intent, runtime, counters: BASE_COUNTERS, lastExit: null, restartLog };
}

const job = jobFor('ONE_SHOT');
const pending = oneShot({ phase: 'RESTART_PENDING', restartAtMs: RESTART_AT_MS });
const held = oneShot({ phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: 250 });
const running = (policy: RestartPolicy | null = POLICY, log: RestartLog = EMPTY_RESTART_LOG) => oneShot({ phase: 'RUNNING', grid: null, job }, policy, log);

const RESTART_DUE = (slotFree = true): Input => ({ kind: 'RESTART_DUE', slotFree });

describe('a restart pending (WAITING): every input', () => {
  it('is WAITING on the wire', () => expect(wireStateOf(pending.runtime)).toBe('WAITING'));

  it('RESTART_DUE at its time: released again, counted as a restart, the restart logged', () => {
    const d = decide(pending, RESTART_DUE(), RESTART_AT_MS);
    expect(d.next.runtime).toEqual({ phase: 'LAUNCHING', grid: null, releaseAtMs: null, byOperation: false });
    expect(d.effects).toEqual([SPAWN]);
    expect(counterChange(pending.counters, d.next.counters)).toMatchObject({ restarts: 1, runs: 0 });
    expect(d.next.restartLog.recentAtMs).toEqual([RESTART_AT_MS]);
    const after = decide(d.next, spawned(), RESTART_AT_MS + 1);
    expect(after.next.runtime.phase).toBe('RUNNING');
    expect(counterChange(pending.counters, after.next.counters)).toMatchObject({ restarts: 1, runs: 1 });
    expect(after.outcome).toBeUndefined();
  });

  it('RESTART_DUE without a slot: READY, queued', () => {
    const d = decide(pending, RESTART_DUE(false), RESTART_AT_MS);
    expect(d.next.runtime).toEqual({ phase: 'READY', grid: null, releaseAtMs: null, heldJob: null });
    expect(d.effects).toEqual([]);
  });

  it('RESTART_DUE early: waits on for the same time', () => {
    const d = decide(pending, RESTART_DUE(), RESTART_AT_MS - 1);
    expect(d.next).toEqual(pending);
    expect(d.effects).toEqual([{ kind: 'ARM_RESTART', atMs: RESTART_AT_MS }]);
  });

  it('STOP: -> DORMANT, the restart cancelled', () => {
    const d = decide(pending, STOP, NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(d.next.intent).toBe('STOPPED');
    expect(d.effects).toEqual([{ kind: 'CANCEL_RESTART' }]);
  });

  it('SUSPEND: -> SUSPENDEND, the restart held with the delay it had left', () => {
    const d = decide(pending, SUSPEND, NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next.runtime).toEqual({ phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: RESTART_AT_MS - NOW_MS });
    expect(d.next.intent).toBe('SUSPENDED');
    expect(d.effects).toEqual([{ kind: 'CANCEL_RESTART' }]);
  });

  it('SUSPEND after its time: held with no delay left', () => {
    const d = decide(pending, SUSPEND, RESTART_AT_MS + 50);
    expect(d.next.runtime).toMatchObject({ phase: 'SUSPENDED', heldRestartMs: 0 });
  });

  for (const input of [START(), START(false), RESUME(), RESUME(false)]) {
    it(`${input.kind}: OK, no change (it is started)`, () => {
      const d = decide(pending, input, NOW_MS);
      expect(d.outcome).toEqual({ result: 'OK' });
      expect(d.next).toEqual(pending);
      expect(d.effects).toEqual([]);
    });
  }

  const ignoredInputs: Input[] = [
    { kind: 'RELEASE', slotFree: true },
    SLOT_GRANTED,
    spawned(),
    spawnFailed,
    exited(0, null, PID),
    { kind: 'RELEASE_PASSED', releaseAtMs: RELEASE_MS, count: 1, overrun: false },
  ];
  for (const input of ignoredInputs) {
    it(`${input.kind}: ignored`, () => {
      const d = decide(pending, input, NOW_MS);
      expect(d.next).toEqual(pending);
      expect(d.effects).toEqual([]);
      expect(d.outcome).toBeUndefined();
    });
  }

  it('RELEASE_FAILED: recorded and counted, still pending', () => {
    const d = decide(pending, { kind: 'RELEASE_FAILED', releaseAtMs: RELEASE_MS, error: SPAWN_ERROR, skippedBefore: 0 }, NOW_MS);
    expect(d.next.runtime).toEqual(pending.runtime);
    expect(counterChange(pending.counters, d.next.counters)).toMatchObject({ failures: 1 });
  });

  it('RELEASED (the restart a daemon that died had asked for): the job runs, the timer goes', () => {
    const d = decide(pending, { kind: 'RELEASED', pid: NEW_PID, releaseAtMs: null, skippedBefore: 0 }, NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'RUNNING', grid: null, job: { pid: NEW_PID, startedAtMs: NOW_MS, releaseAtMs: null } });
    expect(d.effects).toEqual([{ kind: 'CANCEL_RESTART' }]);
  });

  it('SHUTDOWN: kept pending (the next boot takes it up), its timer cancelled', () => {
    const d = decide(pending, SHUTDOWN, NOW_MS);
    expect(d.next.runtime).toEqual(pending.runtime);
    expect(d.next.intent).toBe('STARTED');
    expect(d.effects).toEqual([{ kind: 'CANCEL_RESTART' }]);
  });
});

describe('a restart held by a suspension (SUSPENDEND): every operation', () => {
  it('RESUME: the restart is armed again after the delay that was left', () => {
    const d = decide(held, RESUME(), NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + 250 });
    expect(d.next.intent).toBe('STARTED');
    expect(d.effects).toEqual([{ kind: 'ARM_RESTART', atMs: NOW_MS + 250 }]);
  });

  it('STOP: -> DORMANT, nothing left pending', () => {
    const d = decide(held, STOP, NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
  });

  it('START: FAILED, RESUME it', () => {
    const d = decide(held, START(), NOW_MS);
    expect(d.outcome?.result).toBe('FAILED');
    expect(d.next).toEqual(held);
  });

  it('SUSPEND: OK, no change', () => {
    const d = decide(held, SUSPEND, NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next).toEqual(held);
  });

  it('SHUTDOWN: kept held for the next boot', () => {
    const d = decide(held, SHUTDOWN, NOW_MS);
    expect(d.next).toEqual(held);
    expect(d.effects).toEqual([]);
  });

  it('RESTART_DUE (a timer that fired across the SUSPEND): ignored', () => {
    expect(decide(held, RESTART_DUE(), NOW_MS).next).toEqual(held);
  });
});

describe('a job that ends: what the policy decides', () => {
  const duration = NOW_MS - job.startedAtMs;

  it('on-failure, a non-zero code: WAITING for its restart after delayMs, the exit recorded', () => {
    const d = decide(running(), exited(3), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + 100 });
    expect(wireStateOf(d.next.runtime)).toBe('WAITING');
    expect(d.next.intent).toBe('STARTED');
    expect(d.effects).toEqual([{ kind: 'ARM_RESTART', atMs: NOW_MS + 100 }]);
    expect(d.next.lastExit).toMatchObject({ code: 3, error: null, durationMs: duration });
    expect(d.run).toMatchObject({ exitCode: 3, endedBySigma: false });
    expect(counterChange(BASE_COUNTERS, d.next.counters)).toMatchObject({ failures: 1, restarts: 0 });
    expect(d.note).toMatch(/restart in 100 ms/);
  });

  it('on-failure, a signal sigma did not send: restarted', () => {
    expect(decide(running(), exited(null, 'SIGSEGV'), NOW_MS).next.runtime.phase).toBe('RESTART_PENDING');
  });

  it('on-failure, exit 0: DORMANT, as without a policy', () => {
    const d = decide(running(), exited(0), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(d.next.intent).toBe('STOPPED');
    expect(d.effects).toEqual([]);
  });

  it('always, exit 0: restarted', () => {
    const d = decide(running({ ...POLICY, policy: 'always' }), exited(0), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + 100 });
  });

  it('never, or no policy: DORMANT', () => {
    expect(decide(running({ ...POLICY, policy: 'never' }), exited(3), NOW_MS).next.runtime).toEqual({ phase: 'DORMANT' });
    expect(decide(running(null), exited(3), NOW_MS).next.runtime).toEqual({ phase: 'DORMANT' });
  });

  it('always, a job ended by STOP: DORMANT, never restarted', () => {
    const stopping = decide(running({ ...POLICY, policy: 'always' }), STOP, NOW_MS).next;
    const d = decide(stopping, exited(null, 'SIGTERM'), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(d.outcome).toEqual({ result: 'OK' });
  });

  it('always, a job ended by SHUTDOWN: DORMANT with its intent kept (the boot starts it again)', () => {
    const stopping = decide(running({ ...POLICY, policy: 'always' }), SHUTDOWN, NOW_MS).next;
    const d = decide(stopping, exited(null, 'SIGTERM'), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(d.next.intent).toBe('STARTED');
  });

  it('a suspended job killed from outside: the restart is held by the suspension', () => {
    const d = decide(oneShot({ phase: 'SUSPENDED', grid: null, job }), exited(null, 'SIGKILL'), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: 100 });
    expect(d.next.intent).toBe('SUSPENDED');
    expect(d.effects).toEqual([]);
  });

  it('a held (resumed, no slot) job that ends: restarted', () => {
    const d = decide(oneShot({ phase: 'READY', grid: null, releaseAtMs: null, heldJob: job }), exited(1), NOW_MS);
    expect(d.next.runtime.phase).toBe('RESTART_PENDING');
  });

  it('the spawn of a restart fails: a failure the policy restarts again', () => {
    const launching = oneShot({ phase: 'LAUNCHING', grid: null, releaseAtMs: null, byOperation: false });
    const d = decide(launching, spawnFailed, NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + 100 });
    expect(d.next.lastExit?.error).toBe(SPAWN_ERROR);
    expect(counterChange(BASE_COUNTERS, d.next.counters)).toMatchObject({ failures: 1 });
  });

  it("the spawn of an operator's START fails: FAILED and DORMANT, never restarted", () => {
    const launching = oneShot({ phase: 'LAUNCHING', grid: null, releaseAtMs: null, byOperation: true });
    const d = decide(launching, spawnFailed, NOW_MS);
    expect(d.outcome?.result).toBe('FAILED');
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
  });

  it('the limit reached: DORMANT, STOPPED, lastExit.error and the note say so, the run keeps its real end', () => {
    const log: RestartLog = { lastDelayMs: 400, recentAtMs: [NOW_MS - 3000, NOW_MS - 2000, NOW_MS - 1000] };
    const d = decide(running(POLICY, log), exited(3), NOW_MS);
    expect(d.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(d.next.intent).toBe('STOPPED');
    expect(d.effects).toEqual([]);
    expect(d.next.lastExit).toMatchObject({ code: 3, error: 'restart limit reached: 3 restarts in 60 s' });
    expect(d.run).toMatchObject({ exitCode: 3, error: null });
    expect(d.note).toBe('restart limit reached: 3 restarts in 60 s');
  });

  it("the operator's START begins afresh: the backoff and the limit are forgotten", () => {
    const log: RestartLog = { lastDelayMs: 400, recentAtMs: [NOW_MS - 3000, NOW_MS - 2000, NOW_MS - 1000] };
    const d = decide({ ...oneShot({ phase: 'DORMANT' }), restartLog: log }, START(), NOW_MS);
    expect(d.next.restartLog).toEqual(EMPTY_RESTART_LOG);
  });
});

describe('the backoff and the limit window', () => {
  it('the delay doubles after each consecutive restart, up to maxDelayMs', () => {
    let log = EMPTY_RESTART_LOG;
    const delays: number[] = [];
    let nowMs = 0;
    for (let i = 0; i < 3; i += 1) {
      const plan = planRestart({ ...POLICY, limit: { count: 10, windowMs: 60_000 } }, log, nowMs, 10);
      if (plan.kind !== 'RESTART') throw new Error(`gave up: ${plan.reason}`);
      delays.push(plan.delayMs);
      nowMs += plan.delayMs;
      log = withRestartAt(POLICY, plan.log, nowMs);
    }
    expect(delays).toEqual([100, 200, 400]);
    const fourth = planRestart({ ...POLICY, limit: { count: 10, windowMs: 60_000 } }, log, nowMs, 10);
    expect(fourth).toMatchObject({ kind: 'RESTART', delayMs: 400 });
  });

  it('falls back to delayMs after a job that ran longer than maxDelayMs', () => {
    const log: RestartLog = { lastDelayMs: 400, recentAtMs: [0] };
    expect(planRestart(POLICY, log, 10_000, 400)).toMatchObject({ kind: 'RESTART', delayMs: 400 });
    expect(planRestart(POLICY, log, 10_000, 401)).toMatchObject({ kind: 'RESTART', delayMs: 100 });
  });

  it('gives up with limit.count restarts inside the window, and not once the oldest has left it', () => {
    const log: RestartLog = { lastDelayMs: 100, recentAtMs: [1000, 2000, 3000] };
    expect(planRestart(POLICY, log, 60_999, 0)).toEqual({ kind: 'GIVE_UP', reason: 'restart limit reached: 3 restarts in 60 s' });
    expect(planRestart(POLICY, log, 61_000, 0)).toMatchObject({ kind: 'RESTART' });
  });

  it('keeps no more restarts than the limit counts', () => {
    let log = EMPTY_RESTART_LOG;
    for (let atMs = 1; atMs <= 10; atMs += 1) log = withRestartAt(POLICY, log, atMs);
    expect(log.recentAtMs).toEqual([8, 9, 10]);
  });

  it('forgets restarts that left the window', () => {
    const log = withRestartAt(POLICY, { lastDelayMs: 100, recentAtMs: [0, 1] }, 60_001);
    expect(log.recentAtMs).toEqual([60_001]);
  });
});
