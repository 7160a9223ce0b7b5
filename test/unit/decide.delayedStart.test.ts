// START with a delay (DELAYED_START): WAITING until then, for both types; the pending start in
// every phase it can meet. No clock, no timers, no processes.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Input } from '../../src/core/decision.js';
import { wireStateOf } from '../../src/core/processModel.js';
import { BASE_COUNTERS, NOW_MS, PERIOD_MS, RESUME, SPAWN, STOP, SUSPEND, counterChange, snapshot, spawned } from './decideFixtures.js';

const DELAY_MS = 500;
const startIn = (delayMs: number): Input => ({ kind: 'START', slotFree: true, delayMs });

describe('START with a delay', () => {
  it('ONE_SHOT: OK, WAITING; its job runs at now + delay, not counted as a restart', () => {
    const d = decide(snapshot('ONE_SHOT', 'DORMANT'), startIn(DELAY_MS), NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    expect(d.next.intent).toBe('STARTED');
    expect(d.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + DELAY_MS, delayedStart: true });
    expect(wireStateOf(d.next.runtime)).toBe('WAITING');
    expect(d.effects).toEqual([{ kind: 'ARM_RESTART', atMs: NOW_MS + DELAY_MS }]);
    const due = decide(d.next, { kind: 'RESTART_DUE', slotFree: true }, NOW_MS + DELAY_MS);
    expect(due.next.runtime.phase).toBe('LAUNCHING');
    expect(due.effects).toEqual([SPAWN]);
    const running = decide(due.next, spawned(), NOW_MS + DELAY_MS);
    expect(counterChange(BASE_COUNTERS, running.next.counters)).toMatchObject({ runs: 1, restarts: 0 });
  });

  it('PERIODIC: OK, WAITING; the grid starts at now + delay, its first release there', () => {
    const d = decide(snapshot('PERIODIC', 'DORMANT'), startIn(DELAY_MS), NOW_MS);
    expect(d.outcome).toEqual({ result: 'OK' });
    const at = NOW_MS + DELAY_MS;
    expect(d.next.runtime).toEqual({ phase: 'WAITING', grid: { t0Ms: at, periodMs: PERIOD_MS, nextReleaseAtMs: at } });
    expect(d.effects).toEqual([{ kind: 'ARM_RELEASE', atMs: at }]);
    const released = decide(d.next, { kind: 'RELEASE', slotFree: true }, at);
    expect(released.next.runtime).toMatchObject({ phase: 'LAUNCHING', releaseAtMs: at, grid: { nextReleaseAtMs: at + PERIOD_MS } });
  });

  it('a delay of 0 is a release now, still through WAITING', () => {
    expect(decide(snapshot('ONE_SHOT', 'DORMANT'), startIn(0), NOW_MS).next.runtime).toMatchObject({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS });
  });

  it('on a started process: as START (OK, no change); on a suspended one: FAILED', () => {
    const running = snapshot('ONE_SHOT', 'RUNNING');
    expect(decide(running, startIn(DELAY_MS), NOW_MS)).toMatchObject({ next: running, outcome: { result: 'OK' }, effects: [] });
    expect(decide(snapshot('PERIODIC', 'SUSPENDED_NO_JOB'), startIn(DELAY_MS), NOW_MS).outcome?.result).toBe('FAILED');
  });

  it('STOP cancels the pending start; SUSPEND holds it and RESUME arms it again, still a start', () => {
    const pending = decide(snapshot('ONE_SHOT', 'DORMANT'), startIn(DELAY_MS), NOW_MS).next;
    const stopped = decide(pending, STOP, NOW_MS);
    expect(stopped.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(stopped.effects).toEqual([{ kind: 'CANCEL_RESTART' }]);
    const held = decide(pending, SUSPEND, NOW_MS + 100).next;
    expect(held.runtime).toEqual({ phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: DELAY_MS - 100, heldStart: true });
    const resumed = decide(held, RESUME(), NOW_MS + 1000);
    expect(resumed.next.runtime).toEqual({ phase: 'RESTART_PENDING', restartAtMs: NOW_MS + 1000 + DELAY_MS - 100, delayedStart: true });
  });
});
