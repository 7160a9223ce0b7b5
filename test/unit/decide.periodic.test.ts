// The PERIODIC table of docs/state-model.md, cell by cell, plus the release grid, slots and the result rule.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Decision, Input } from '../../src/core/decision.js';
import { ZERO_COUNTERS, dormantSnapshot, jobOf, wireStateOf, type ProcessSnapshot } from '../../src/core/processModel.js';
import {
  CANCEL,
  END_GROUP,
  GRID,
  NEW_PID,
  NEXT_RELEASE_MS,
  NOW_MS,
  PERIOD_MS,
  PID,
  RELEASE,
  RELEASE_MS,
  RESUME,
  SHUTDOWN,
  SLOT_GRANTED,
  SPAWN,
  START,
  STOP,
  SUSPEND,
  arm,
  counterChange,
  describeResultRule,
  exited,
  groupGone,
  ignored,
  inPhase,
  okNoChange,
  playCell,
  refused,
  signalGroup,
  snapshot,
  specOf,
  spawnFailed,
  spawnFailure,
  spawned,
  type Cell,
} from './decideFixtures.js';

const TYPE = 'PERIODIC';
const AFTER = NEXT_RELEASE_MS + PERIOD_MS; // the grid point after the fixtures' next release
const startedNow = { wire: 'READY', intent: 'STARTED', check: (d: Decision) => expect(d.next.runtime).toMatchObject({ grid: { t0Ms: NOW_MS, nextReleaseAtMs: NOW_MS + PERIOD_MS }, releaseAtMs: NOW_MS }) } as const;
const ended = (exitCode: number | null, signal: string | null) => ({
  run: { pid: PID, exitCode, signal, releaseAtMs: RELEASE_MS, startedAtMs: RELEASE_MS, endedAtMs: NOW_MS, endedBySigma: false },
  lastExit: { code: exitCode, signal, atMs: NOW_MS, durationMs: NOW_MS - RELEASE_MS, error: null },
});
const releasedAt = (atMs: number) => ({ input: RELEASE(), atMs, wire: 'READY', phase: 'LAUNCHING', effects: [arm(atMs + PERIOD_MS), SPAWN] }) as const;
const stopping = { input: STOP, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'STOPPED' } as const;

const TABLE: Cell[] = [
  // START
  {
    name: 'START x DORMANT: t0 = now; first release at once -> RUNNING',
    from: 'DORMANT',
    steps: [
      { input: START(), ...startedNow, phase: 'LAUNCHING', effects: [SPAWN, arm(NOW_MS + PERIOD_MS)] },
      { input: spawned(), wire: 'RUNNING', outcome: 'OK', counters: { runs: 1 }, check: (d) => expect(jobOf(d.next.runtime)).toEqual({ pid: NEW_PID, startedAtMs: NOW_MS, releaseAtMs: NOW_MS }) },
    ],
  },
  { name: 'START x DORMANT: READY if no slot', from: 'DORMANT', steps: [{ input: START(false), ...startedNow, phase: 'READY', outcome: 'OK', effects: [arm(NOW_MS + PERIOD_MS)] }] },
  {
    name: 'START x DORMANT: the first spawn fails -> FAILED, DORMANT, recorded (decided in the code)',
    from: 'DORMANT',
    steps: [
      { input: START(), ...startedNow, phase: 'LAUNCHING', effects: [SPAWN, arm(NOW_MS + PERIOD_MS)] },
      { input: spawnFailed, wire: 'DORMANT', outcome: 'FAILED', effects: [CANCEL], ...spawnFailure(NOW_MS) },
    ],
  },
  { name: 'START x WAITING: OK, no change', from: 'WAITING', steps: [okNoChange(START(), 'WAITING')] },
  { name: 'START x READY: OK, no change', from: 'READY', steps: [okNoChange(START(), 'READY')] },
  { name: 'START x RUNNING: OK, no change', from: 'RUNNING', steps: [okNoChange(START(), 'RUNNING')] },
  { name: 'START x SUSPENDEND (job): FAILED, RESUME it', from: 'SUSPENDED_JOB', steps: [refused(START(), 'SUSPENDEND', /RESUME/)] },
  { name: 'START x SUSPENDEND (no job): FAILED, RESUME it', from: 'SUSPENDED_NO_JOB', steps: [refused(START(), 'SUSPENDEND', /RESUME/)] },
  // STOP
  { name: 'STOP x DORMANT: OK, no change', from: 'DORMANT', steps: [okNoChange(STOP, 'DORMANT')] },
  { name: 'STOP x WAITING: -> DORMANT; no further release', from: 'WAITING', steps: [{ input: STOP, wire: 'DORMANT', outcome: 'OK', effects: [CANCEL], intent: 'STOPPED' }] },
  {
    name: 'STOP x READY: -> DORMANT, the queued release counted as skipped',
    from: 'READY',
    steps: [{ input: STOP, wire: 'DORMANT', outcome: 'OK', effects: [CANCEL], intent: 'STOPPED', counters: { skipped: 1 } }],
  },
  { name: 'STOP x RUNNING: -> DORMANT; the job is ended as for ONE_SHOT', from: 'RUNNING', steps: [stopping, { ...groupGone, run: { ...groupGone.run, releaseAtMs: RELEASE_MS } }] },
  { name: 'STOP x SUSPENDEND (job): -> DORMANT; a stopped job is ended', from: 'SUSPENDED_JOB', steps: [stopping, groupGone] },
  { name: 'STOP x SUSPENDEND (no job): -> DORMANT', from: 'SUSPENDED_NO_JOB', steps: [{ input: STOP, wire: 'DORMANT', outcome: 'OK', effects: [CANCEL], intent: 'STOPPED' }] },
  // SUSPEND
  { name: 'SUSPEND x DORMANT: FAILED, not started', from: 'DORMANT', steps: [refused(SUSPEND, 'DORMANT', /not started/)] },
  {
    name: 'SUSPEND x WAITING: -> SUSPENDEND; releases paused',
    from: 'WAITING',
    steps: [{ input: SUSPEND, wire: 'SUSPENDEND', outcome: 'OK', effects: [CANCEL], intent: 'SUSPENDED', check: (d) => expect(d.next.runtime).toEqual({ phase: 'SUSPENDED', grid: GRID, job: null }) }],
  },
  {
    name: 'SUSPEND x READY: -> SUSPENDEND, the queued release counted as skipped',
    from: 'READY',
    steps: [{ input: SUSPEND, wire: 'SUSPENDEND', outcome: 'OK', effects: [CANCEL], intent: 'SUSPENDED', counters: { skipped: 1 } }],
  },
  {
    name: 'SUSPEND x RUNNING: -> SUSPENDEND; the job is SIGSTOPped, releases paused',
    from: 'RUNNING',
    steps: [{ input: SUSPEND, wire: 'SUSPENDEND', outcome: 'OK', effects: [CANCEL, signalGroup('SIGSTOP')], intent: 'SUSPENDED' }],
  },
  { name: 'SUSPEND x SUSPENDEND: OK, no change', from: 'SUSPENDED_JOB', steps: [okNoChange(SUSPEND, 'SUSPENDEND')] },
  // RESUME
  { name: 'RESUME x DORMANT: FAILED, not started', from: 'DORMANT', steps: [refused(RESUME(), 'DORMANT', /not started/)] },
  { name: 'RESUME x WAITING: OK, no change', from: 'WAITING', steps: [okNoChange(RESUME(), 'WAITING')] },
  { name: 'RESUME x READY: OK, no change', from: 'READY', steps: [okNoChange(RESUME(), 'READY')] },
  { name: 'RESUME x RUNNING: OK, no change', from: 'RUNNING', steps: [okNoChange(RESUME(), 'RUNNING')] },
  {
    name: 'RESUME x SUSPENDEND (stopped job): SIGCONT -> RUNNING, next release on the grid',
    from: 'SUSPENDED_JOB',
    steps: [{ input: RESUME(), wire: 'RUNNING', outcome: 'OK', effects: [arm(NEXT_RELEASE_MS), signalGroup('SIGCONT')], intent: 'STARTED' }],
  },
  {
    name: 'RESUME x SUSPENDEND (stopped job), no slot: READY holding the job; SIGCONT once granted',
    from: 'SUSPENDED_JOB',
    steps: [
      { input: RESUME(false), wire: 'READY', outcome: 'OK', effects: [arm(NEXT_RELEASE_MS)], intent: 'STARTED', check: (d) => expect(inPhase(d.next.runtime, 'READY').heldJob?.pid).toBe(PID) },
      { input: SLOT_GRANTED, wire: 'RUNNING', effects: [signalGroup('SIGCONT')] },
    ],
  },
  {
    name: 'RESUME x SUSPENDEND (no job): -> WAITING, next release on the original grid',
    from: 'SUSPENDED_NO_JOB',
    steps: [{ input: RESUME(), wire: 'WAITING', outcome: 'OK', effects: [arm(NEXT_RELEASE_MS)], intent: 'STARTED', check: (d) => expect(d.next.runtime).toEqual({ phase: 'WAITING', grid: GRID }) }],
  },
  // release point
  { name: 'release point x DORMANT: -', from: 'DORMANT', steps: [ignored(RELEASE(), 'DORMANT')] },
  {
    name: 'release point x WAITING: spawn -> RUNNING',
    from: 'WAITING',
    steps: [
      releasedAt(NEXT_RELEASE_MS),
      { input: spawned(), atMs: NEXT_RELEASE_MS, wire: 'RUNNING', counters: { runs: 1 }, check: (d) => expect(jobOf(d.next.runtime)?.releaseAtMs).toBe(NEXT_RELEASE_MS) },
    ],
  },
  {
    name: 'release point x WAITING: READY if no slot',
    from: 'WAITING',
    steps: [{ input: RELEASE(false), atMs: NEXT_RELEASE_MS, wire: 'READY', phase: 'READY', effects: [arm(AFTER)], check: (d) => expect(inPhase(d.next.runtime, 'READY').releaseAtMs).toBe(NEXT_RELEASE_MS) }],
  },
  { name: 'release point x READY: skipped, counted as an overrun', from: 'READY', steps: [{ input: RELEASE(), atMs: NEXT_RELEASE_MS, wire: 'READY', effects: [arm(AFTER)], counters: { overruns: 1 } }] },
  {
    name: 'release point x RUNNING: skipped, counted as an overrun',
    from: 'RUNNING',
    steps: [{ input: RELEASE(), atMs: NEXT_RELEASE_MS, wire: 'RUNNING', effects: [arm(AFTER)], counters: { overruns: 1 }, check: (d) => expect(jobOf(d.next.runtime)?.pid).toBe(PID) }],
  },
  { name: 'release point x SUSPENDEND (job): skipped, not an overrun', from: 'SUSPENDED_JOB', steps: [{ input: RELEASE(), atMs: NEXT_RELEASE_MS, wire: 'SUSPENDEND', counters: { skipped: 1 } }] },
  { name: 'release point x SUSPENDEND (no job): skipped, not an overrun', from: 'SUSPENDED_NO_JOB', steps: [{ input: RELEASE(), atMs: NEXT_RELEASE_MS, wire: 'SUSPENDEND', counters: { skipped: 1 } }] },
  // job exits
  { name: 'job exits x DORMANT: -', from: 'DORMANT', steps: [ignored(exited(0), 'DORMANT')] },
  { name: 'job exits x WAITING: -', from: 'WAITING', steps: [ignored(exited(0), 'WAITING')] },
  { name: 'job exits x READY: -', from: 'READY', steps: [ignored(exited(0), 'READY')] },
  {
    name: 'job exits x RUNNING: -> WAITING; exit recorded',
    from: 'RUNNING',
    steps: [{ input: exited(0), wire: 'WAITING', ...ended(0, null), check: (d) => expect(d.next.runtime).toEqual({ phase: 'WAITING', grid: GRID }) }],
  },
  { name: 'job exits x RUNNING, non-zero code: -> WAITING, a failure', from: 'RUNNING', steps: [{ input: exited(2), wire: 'WAITING', counters: { failures: 1 }, ...ended(2, null) }] },
  {
    name: 'job exits x SUSPENDEND: stays SUSPENDEND',
    from: 'SUSPENDED_JOB',
    steps: [{ input: exited(null, 'SIGKILL'), wire: 'SUSPENDEND', counters: { failures: 1 }, ...ended(null, 'SIGKILL'), check: (d) => expect(jobOf(d.next.runtime)).toBeNull() }],
  },
  // spawn fails at a release
  {
    name: 'spawn fails at a release x WAITING: stays WAITING, recorded and counted; the next release tries again',
    from: 'WAITING',
    steps: [
      releasedAt(NEXT_RELEASE_MS),
      { input: spawnFailed, atMs: NEXT_RELEASE_MS, wire: 'WAITING', ...spawnFailure(NEXT_RELEASE_MS, NEXT_RELEASE_MS) },
      releasedAt(AFTER),
    ],
  },
  // SHUTDOWN (not in the table: jobs are ended, the intent is kept for the next boot)
  { name: 'SHUTDOWN x WAITING: -> DORMANT, intent stays STARTED', from: 'WAITING', steps: [{ input: SHUTDOWN, wire: 'DORMANT', effects: [CANCEL] }] },
  { name: 'SHUTDOWN x RUNNING: the job is ended, intent stays STARTED', from: 'RUNNING', steps: [{ ...stopping, input: SHUTDOWN, intent: 'STARTED' }, { ...groupGone, run: { endedBySigma: true } }] },
  { name: 'SHUTDOWN x SUSPENDEND (no job): -> DORMANT, intent stays SUSPENDED', from: 'SUSPENDED_NO_JOB', steps: [{ input: SHUTDOWN, wire: 'DORMANT', effects: [CANCEL] }] },
  { name: 'SHUTDOWN x READY: -> DORMANT, the queued release counts as skipped', from: 'READY', steps: [{ input: SHUTDOWN, wire: 'DORMANT', effects: [CANCEL], counters: { skipped: 1 } }] },
];

describe('PERIODIC table', () => {
  for (const cell of TABLE) it(cell.name, () => playCell(TYPE, cell));
});

/** Feeds inputs one after the other, each at its instant, keeping every decision. */
function run(from: ProcessSnapshot, inputs: ReadonlyArray<readonly [Input, number]>): Decision[] {
  const decisions: Decision[] = [];
  let s = from;
  for (const [input, atMs] of inputs) {
    const d = decide(s, input, atMs);
    decisions.push(d);
    s = d.next;
  }
  return decisions;
}
const last = (ds: Decision[]): Decision => ds[ds.length - 1]!;
const armedAt = (ds: Decision[]): number[] => ds.flatMap((d) => d.effects.flatMap((e) => (e.kind === 'ARM_RELEASE' ? [e.atMs] : [])));

describe('PERIODIC release grid', () => {
  const t0 = 50_000;
  const point = (k: number) => t0 + k * PERIOD_MS;

  it('releases stay on t0 + k * period across 100 releases with late timers (no drift)', () => {
    const late = (k: number) => (k * 137) % (PERIOD_MS - 10); // 0..989 ms late, never a whole period
    const inputs: Array<readonly [Input, number]> = [[START(), t0], [spawned(1), t0 + 1]];
    for (let k = 1; k <= 100; k += 1) {
      const prevSpawn = k === 1 ? t0 + 1 : point(k - 1) + late(k - 1) + 1;
      inputs.push([exited(0, null, k), prevSpawn + 1], [RELEASE(), point(k) + late(k)], [spawned(k + 1), point(k) + late(k) + 1]);
    }
    const ds = run(dormantSnapshot(specOf(TYPE)), inputs);
    expect(armedAt(ds)).toEqual(Array.from({ length: 101 }, (_, k) => point(k + 1)));
    const released = ds.flatMap((d) => (d.next.runtime.phase === 'LAUNCHING' ? [d.next.runtime.releaseAtMs] : []));
    expect(released).toEqual(Array.from({ length: 101 }, (_, k) => point(k)));
    expect(last(ds).next.counters).toEqual({ ...ZERO_COUNTERS, runs: 101 });
  });

  it('a timer late by more than a period while WAITING releases the latest point only; the missed ones are skipped', () => {
    const ds = run(snapshot(TYPE, 'WAITING'), [[RELEASE(), NEXT_RELEASE_MS + 2.5 * PERIOD_MS], [spawned(), NEXT_RELEASE_MS + 2.6 * PERIOD_MS]]);
    expect(ds[0]!.effects).toEqual([arm(NEXT_RELEASE_MS + 3 * PERIOD_MS), SPAWN]);
    expect(counterChange(snapshot(TYPE, 'WAITING').counters, ds[0]!.next.counters)).toEqual({ ...ZERO_COUNTERS, skipped: 2 });
    expect(jobOf(last(ds).next.runtime)?.releaseAtMs).toBe(NEXT_RELEASE_MS + 2 * PERIOD_MS);
  });

  it('an early wake-up re-arms the same point and counts nothing', () => {
    const before = snapshot(TYPE, 'WAITING');
    expect(decide(before, RELEASE(), NEXT_RELEASE_MS - 1)).toEqual({ next: before, effects: [arm(NEXT_RELEASE_MS)] });
  });

  it('release points while RUNNING are overruns, one per point, late timer included; the grid holds', () => {
    const before = snapshot(TYPE, 'RUNNING');
    const at = (k: number) => NEXT_RELEASE_MS + k * PERIOD_MS;
    const ds = run(before, [[RELEASE(), at(0)], [RELEASE(), at(1) + 2], [RELEASE(), at(4) + 500], [exited(0), at(4) + 600], [RELEASE(), at(5)]]);
    expect(ds.map((d) => d.next.counters.overruns - before.counters.overruns)).toEqual([1, 2, 5, 5, 5]);
    expect(armedAt(ds)).toEqual([at(1), at(2), at(5), at(6)]);
    expect(last(ds).next.runtime).toMatchObject({ phase: 'LAUNCHING', releaseAtMs: at(5) });
    expect(last(ds).next.counters.skipped).toBe(before.counters.skipped);
  });

  for (const n of [0, 1, 3, 10]) {
    it(`RESUME after a suspension of ${n} periods counts ${n} skipped and arms the next point after now`, () => {
      const resumeAt = NOW_MS + n * PERIOD_MS;
      const ds = run(snapshot(TYPE, 'WAITING'), [[SUSPEND, NOW_MS], [RESUME(), resumeAt]]);
      expect(last(ds).next.counters.skipped - ds[0]!.next.counters.skipped).toBe(n);
      expect(last(ds).effects).toEqual([arm(NEXT_RELEASE_MS + n * PERIOD_MS)]);
      expect(NEXT_RELEASE_MS + n * PERIOD_MS).toBeGreaterThan(resumeAt);
      expect(last(ds).next.runtime).toEqual({ phase: 'WAITING', grid: { ...GRID, nextReleaseAtMs: NEXT_RELEASE_MS + n * PERIOD_MS } });
    });
  }

  it('RESUME exactly on a grid point counts that point as skipped and arms the one after it', () => {
    const resumeAt = NEXT_RELEASE_MS + 2 * PERIOD_MS;
    const ds = run(snapshot(TYPE, 'WAITING'), [[SUSPEND, NOW_MS], [RESUME(), resumeAt]]);
    expect(last(ds).next.counters.skipped - ds[0]!.next.counters.skipped).toBe(3);
    expect(last(ds).effects).toEqual([arm(resumeAt + PERIOD_MS)]);
  });

  it('RESUME of a suspended job after 4 periods: SIGCONT, 4 skipped, next point armed', () => {
    const ds = run(snapshot(TYPE, 'RUNNING'), [[SUSPEND, NOW_MS], [RESUME(), NOW_MS + 4 * PERIOD_MS]]);
    expect(last(ds).effects).toEqual([arm(NEXT_RELEASE_MS + 4 * PERIOD_MS), signalGroup('SIGCONT')]);
    expect(last(ds).next.counters.skipped - ds[0]!.next.counters.skipped).toBe(4);
    expect(last(ds).next.counters.overruns).toBe(ds[0]!.next.counters.overruns);
  });

  it('a stray release timer inside a suspension and the RESUME never count a point twice', () => {
    const before = snapshot(TYPE, 'WAITING');
    const ds = run(before, [[SUSPEND, NOW_MS], [RELEASE(), NEXT_RELEASE_MS + 100], [RESUME(), NOW_MS + 3 * PERIOD_MS]]);
    expect(ds.map((d) => d.next.counters.skipped - before.counters.skipped)).toEqual([0, 1, 3]);
  });

  // A STOP decided after a release point whose timer has not been handled yet (a busy event loop,
  // or the STOP queued ahead of the release) must still account for that point.
  it('STOP of a WAITING process after a point its late timer has not released counts the point as skipped', () => {
    const before = snapshot(TYPE, 'WAITING');
    const ds = run(before, [[STOP, NEXT_RELEASE_MS + PERIOD_MS + 50]]);
    expect(counterChange(before.counters, last(ds).next.counters)).toEqual({ ...ZERO_COUNTERS, skipped: 2 });
  });

  it('STOP of a RUNNING process after points its late timer has not handled counts them as overruns', () => {
    const before = snapshot(TYPE, 'RUNNING');
    const ds = run(before, [[STOP, NEXT_RELEASE_MS + 10], [exited(null, 'SIGTERM'), NEXT_RELEASE_MS + 20]]);
    expect(counterChange(before.counters, last(ds).next.counters)).toEqual({ ...ZERO_COUNTERS, overruns: 1 });
  });

  it('STOP of a READY process after a late point: the queued release is skipped, the late point an overrun', () => {
    const before = snapshot(TYPE, 'READY');
    const ds = run(before, [[STOP, NEXT_RELEASE_MS]]);
    expect(counterChange(before.counters, last(ds).next.counters)).toEqual({ ...ZERO_COUNTERS, skipped: 1, overruns: 1 });
  });

  // The next boot starts a fresh grid: the points due by a shutdown are accounted for by it.
  it('SHUTDOWN after late points counts them as STOP does: skipped when WAITING or suspended, overruns while a job runs', () => {
    const cases = [
      ['WAITING', NEXT_RELEASE_MS + PERIOD_MS + 50, { skipped: 2 }],
      ['RUNNING', NEXT_RELEASE_MS + 10, { overruns: 1 }],
      ['SUSPENDED_NO_JOB', NOW_MS + 2 * PERIOD_MS, { skipped: 2 }],
    ] as const;
    for (const [phase, atMs, expected] of cases) {
      const before = snapshot(TYPE, phase);
      const ds = run(before, [[SHUTDOWN, atMs], ...(phase === 'RUNNING' ? [[exited(null, 'SIGTERM'), atMs + 10] as const] : [])]);
      expect(counterChange(before.counters, last(ds).next.counters), phase).toEqual({ ...ZERO_COUNTERS, ...expected });
      expect(last(ds).next.intent, `${phase}: the intent is kept for the next boot`).toBe(before.intent);
    }
  });

  it('STOP after a suspension of 2 periods counts the 2 points as skipped', () => {
    const ds = run(snapshot(TYPE, 'SUSPENDED_NO_JOB'), [[STOP, NOW_MS + 2 * PERIOD_MS]]);
    expect(counterChange(snapshot(TYPE, 'SUSPENDED_NO_JOB').counters, last(ds).next.counters)).toEqual({ ...ZERO_COUNTERS, skipped: 2 });
  });
});

describe('PERIODIC slots', () => {
  it('START without a slot waits READY with release t0; SLOT_GRANTED launches that release', () => {
    const ds = run(dormantSnapshot(specOf(TYPE)), [[START(false), NOW_MS], [SLOT_GRANTED, NOW_MS + 40], [spawned(), NOW_MS + 50]]);
    expect(wireStateOf(ds[0]!.next.runtime)).toBe('READY');
    expect(ds[1]!.effects).toEqual([SPAWN]);
    expect(ds[1]!.next.runtime).toMatchObject({ phase: 'LAUNCHING', releaseAtMs: NOW_MS, byOperation: false });
    expect(jobOf(ds[2]!.next.runtime)).toEqual({ pid: NEW_PID, startedAtMs: NOW_MS + 50, releaseAtMs: NOW_MS });
    expect(ds[2]!.outcome).toBeUndefined();
  });

  it('a release launched on a granted slot whose spawn fails goes back to WAITING on the same grid', () => {
    const ds = run(snapshot(TYPE, 'READY'), [[SLOT_GRANTED, NOW_MS], [spawnFailed, NOW_MS]]);
    expect(last(ds).next.runtime).toEqual({ phase: 'WAITING', grid: GRID });
    expect(last(ds).next.intent).toBe('STARTED');
    expect(last(ds).next.counters.failures).toBe(snapshot(TYPE, 'READY').counters.failures + 1);
  });

  it('a job released without a slot and then suspended never runs late', () => {
    const ds = run(snapshot(TYPE, 'WAITING'), [[RELEASE(false), NEXT_RELEASE_MS], [SUSPEND, NEXT_RELEASE_MS + 10], [RESUME(), NEXT_RELEASE_MS + 20]]);
    expect(last(ds).next.runtime).toEqual({ phase: 'WAITING', grid: { ...GRID, nextReleaseAtMs: AFTER } });
    expect(last(ds).effects).toEqual([arm(AFTER)]);
  });
});

describeResultRule(TYPE);
