// The ONE_SHOT table of docs/state-model.md, cell by cell, plus slots and the result rule.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { holdsSlot, jobOf, wireStateOf } from '../../src/core/processModel.js';
import {
  CANCEL,
  END_GROUP,
  NEW_PID,
  NOW_MS,
  PID,
  RELEASE_MS,
  RESUME,
  SHUTDOWN,
  SLOT_GRANTED,
  SPAWN,
  START,
  STOP,
  SUSPEND,
  describeResultRule,
  exited,
  fixturesOf,
  groupGone,
  ignored,
  inPhase,
  okNoChange,
  playCell,
  refused,
  signalGroup,
  snapshot,
  spawnFailed,
  spawnFailure,
  spawned,
  type Cell,
} from './decideFixtures.js';

const TYPE = 'ONE_SHOT';
const launched = { wire: 'READY', phase: 'LAUNCHING', effects: [SPAWN] } as const;
const nowRunning = { input: spawned(), wire: 'RUNNING', phase: 'RUNNING', outcome: 'OK', counters: { runs: 1 } } as const;
const endedOnItsOwn = (exitCode: number | null, signal: string | null) => ({
  run: { pid: PID, exitCode, signal, startedAtMs: RELEASE_MS, endedAtMs: NOW_MS, endedBySigma: false },
  lastExit: { code: exitCode, signal, atMs: NOW_MS, durationMs: NOW_MS - RELEASE_MS, error: null },
});

const TABLE: Cell[] = [
  // START
  { name: 'START x DORMANT: spawn a job -> RUNNING', from: 'DORMANT', steps: [{ input: START(), ...launched, intent: 'STARTED' }, nowRunning] },
  { name: 'START x DORMANT: READY if no slot', from: 'DORMANT', steps: [{ input: START(false), wire: 'READY', phase: 'READY', outcome: 'OK', intent: 'STARTED' }] },
  {
    name: 'START x DORMANT: the spawn fails -> FAILED, stays DORMANT, the error is recorded',
    from: 'DORMANT',
    steps: [{ input: START(), ...launched, intent: 'STARTED' }, { input: spawnFailed, wire: 'DORMANT', outcome: 'FAILED', reason: /ENOENT/, ...spawnFailure(null) }],
  },
  { name: 'START x READY: OK, no change', from: 'READY', steps: [okNoChange(START(), 'READY')] },
  { name: 'START x READY (held job): OK, no change', from: 'READY_HELD', steps: [okNoChange(START(), 'READY')] },
  { name: 'START x RUNNING: OK, no change', from: 'RUNNING', steps: [okNoChange(START(), 'RUNNING')] },
  { name: 'START x SUSPENDEND (job): FAILED, RESUME it', from: 'SUSPENDED_JOB', steps: [refused(START(), 'SUSPENDEND', /RESUME/)] },
  { name: 'START x SUSPENDEND (no job): FAILED, RESUME it', from: 'SUSPENDED_NO_JOB', steps: [refused(START(), 'SUSPENDEND', /RESUME/)] },
  // STOP
  { name: 'STOP x DORMANT: OK, no change', from: 'DORMANT', steps: [okNoChange(STOP, 'DORMANT')] },
  { name: 'STOP x READY: -> DORMANT, leaves the queue', from: 'READY', steps: [{ input: STOP, wire: 'DORMANT', outcome: 'OK', effects: [CANCEL], intent: 'STOPPED' }] },
  {
    name: 'STOP x READY (held, stopped job): the job is ended -> DORMANT',
    from: 'READY_HELD',
    steps: [{ input: STOP, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'STOPPED' }, groupGone],
  },
  {
    name: 'STOP x RUNNING: SIGTERM, SIGKILL after grace; answered once the group is gone -> DORMANT',
    from: 'RUNNING',
    steps: [{ input: STOP, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'STOPPED' }, groupGone],
  },
  {
    name: 'STOP x RUNNING: a job that needed SIGKILL is not a failure either',
    from: 'RUNNING',
    steps: [
      { input: STOP, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'STOPPED' },
      { ...groupGone, input: exited(null, 'SIGKILL'), run: { endedBySigma: true, signal: 'SIGKILL' }, lastExit: { signal: 'SIGKILL' } },
    ],
  },
  {
    name: 'STOP x SUSPENDEND (job): SIGCONT + SIGTERM, SIGKILL after grace -> DORMANT',
    from: 'SUSPENDED_JOB',
    steps: [{ input: STOP, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'STOPPED' }, groupGone],
  },
  { name: 'STOP x SUSPENDEND (no job): -> DORMANT', from: 'SUSPENDED_NO_JOB', steps: [{ input: STOP, wire: 'DORMANT', outcome: 'OK', effects: [CANCEL], intent: 'STOPPED' }] },
  // SUSPEND
  { name: 'SUSPEND x DORMANT: FAILED, not started', from: 'DORMANT', steps: [refused(SUSPEND, 'DORMANT', /not started/)] },
  { name: 'SUSPEND x READY: -> SUSPENDEND, leaves the queue', from: 'READY', steps: [{ input: SUSPEND, wire: 'SUSPENDEND', outcome: 'OK', effects: [CANCEL], intent: 'SUSPENDED' }] },
  {
    name: 'SUSPEND x READY (held job): -> SUSPENDEND, the job is already stopped',
    from: 'READY_HELD',
    steps: [{ input: SUSPEND, wire: 'SUSPENDEND', outcome: 'OK', effects: [CANCEL], intent: 'SUSPENDED', check: (d) => expect(jobOf(d.next.runtime)?.pid).toBe(PID) }],
  },
  {
    name: 'SUSPEND x RUNNING: SIGSTOP to the group, the slot is given back',
    from: 'RUNNING',
    steps: [
      {
        input: SUSPEND,
        wire: 'SUSPENDEND',
        outcome: 'OK',
        effects: [CANCEL, signalGroup('SIGSTOP')],
        intent: 'SUSPENDED',
        check: (d) => {
          expect(holdsSlot(d.next.runtime)).toBe(false);
          expect(jobOf(d.next.runtime)?.pid).toBe(PID);
        },
      },
    ],
  },
  { name: 'SUSPEND x SUSPENDEND (job): OK, no change', from: 'SUSPENDED_JOB', steps: [okNoChange(SUSPEND, 'SUSPENDEND')] },
  { name: 'SUSPEND x SUSPENDEND (no job): OK, no change', from: 'SUSPENDED_NO_JOB', steps: [okNoChange(SUSPEND, 'SUSPENDEND')] },
  // RESUME
  { name: 'RESUME x DORMANT: FAILED, not started', from: 'DORMANT', steps: [refused(RESUME(), 'DORMANT', /not started/)] },
  { name: 'RESUME x READY: OK, no change', from: 'READY', steps: [okNoChange(RESUME(), 'READY')] },
  { name: 'RESUME x RUNNING: OK, no change', from: 'RUNNING', steps: [okNoChange(RESUME(), 'RUNNING')] },
  {
    name: 'RESUME x SUSPENDEND (job): SIGCONT -> RUNNING',
    from: 'SUSPENDED_JOB',
    steps: [{ input: RESUME(), wire: 'RUNNING', outcome: 'OK', effects: [signalGroup('SIGCONT')], intent: 'STARTED', check: (d) => expect(holdsSlot(d.next.runtime)).toBe(true) }],
  },
  {
    name: 'RESUME x SUSPENDEND (job): READY, still stopped, if no slot is free; SIGCONT once granted',
    from: 'SUSPENDED_JOB',
    steps: [
      { input: RESUME(false), wire: 'READY', outcome: 'OK', intent: 'STARTED', check: (d) => expect(inPhase(d.next.runtime, 'READY').heldJob?.pid).toBe(PID) },
      { input: SLOT_GRANTED, wire: 'RUNNING', phase: 'RUNNING', effects: [signalGroup('SIGCONT')] },
    ],
  },
  { name: 'RESUME x SUSPENDEND (was READY): goes back to READY', from: 'SUSPENDED_NO_JOB', steps: [{ input: RESUME(false), wire: 'READY', phase: 'READY', outcome: 'OK', intent: 'STARTED' }] },
  {
    name: 'RESUME x SUSPENDEND (was READY), a slot is free: back to READY, then the slot queue launches it',
    from: 'SUSPENDED_NO_JOB',
    steps: [
      { input: RESUME(), wire: 'READY', phase: 'READY', outcome: 'OK', intent: 'STARTED' },
      { input: SLOT_GRANTED, ...launched },
      { input: spawned(), wire: 'RUNNING', phase: 'RUNNING', counters: { runs: 1 } },
    ],
  },
  {
    name: 'RESUME x SUSPENDEND (was READY), the later spawn fails: DORMANT, recorded (the RESUME was answered OK)',
    from: 'SUSPENDED_NO_JOB',
    steps: [
      { input: RESUME(), wire: 'READY', phase: 'READY', outcome: 'OK', intent: 'STARTED' },
      { input: SLOT_GRANTED, ...launched },
      { input: spawnFailed, wire: 'DORMANT', phase: 'DORMANT', intent: 'STOPPED', ...spawnFailure(null) },
    ],
  },
  // job exits
  { name: 'job exits x DORMANT: -', from: 'DORMANT', steps: [ignored(exited(0), 'DORMANT')] },
  { name: 'job exits x READY: -', from: 'READY', steps: [ignored(exited(0), 'READY')] },
  {
    name: 'job exits x RUNNING: -> DORMANT; exit code, time and duration recorded',
    from: 'RUNNING',
    steps: [{ input: exited(0), wire: 'DORMANT', intent: 'STOPPED', ...endedOnItsOwn(0, null) }],
  },
  {
    name: 'job exits x RUNNING, non-zero code: -> DORMANT, counted as a failure',
    from: 'RUNNING',
    steps: [{ input: exited(3), wire: 'DORMANT', intent: 'STOPPED', counters: { failures: 1 }, ...endedOnItsOwn(3, null) }],
  },
  {
    name: 'job exits x RUNNING, by a signal: -> DORMANT, the signal recorded, a failure',
    from: 'RUNNING',
    steps: [{ input: exited(null, 'SIGSEGV'), wire: 'DORMANT', intent: 'STOPPED', counters: { failures: 1 }, ...endedOnItsOwn(null, 'SIGSEGV') }],
  },
  { name: 'job exits x RUNNING, another pid: ignored', from: 'RUNNING', steps: [ignored(exited(0, null, PID + 1), 'RUNNING')] },
  {
    name: 'job exits x SUSPENDEND: -> DORMANT (killed from outside); recorded',
    from: 'SUSPENDED_JOB',
    steps: [{ input: exited(null, 'SIGKILL'), wire: 'DORMANT', intent: 'STOPPED', counters: { failures: 1 }, ...endedOnItsOwn(null, 'SIGKILL') }],
  },
  // SHUTDOWN (not in the table: the daemon ends the job and keeps the intent for the next boot)
  {
    name: 'SHUTDOWN x RUNNING: the job is ended, the intent stays STARTED',
    from: 'RUNNING',
    steps: [{ input: SHUTDOWN, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP] }, groupGone],
  },
  {
    name: 'SHUTDOWN x SUSPENDEND (job): the job is ended, the intent stays SUSPENDED',
    from: 'SUSPENDED_JOB',
    steps: [{ input: SHUTDOWN, wire: 'RUNNING', phase: 'STOPPING', effects: [CANCEL, END_GROUP], intent: 'SUSPENDED' }, groupGone],
  },
];

describe('ONE_SHOT table', () => {
  for (const cell of TABLE) it(cell.name, () => playCell(TYPE, cell));
});

describe('ONE_SHOT slots', () => {
  it('START without a slot waits READY; SLOT_GRANTED launches it; the spawn makes it RUNNING', () => {
    const queued = decide(snapshot(TYPE, 'DORMANT'), START(false), NOW_MS);
    expect(wireStateOf(queued.next.runtime)).toBe('READY');
    expect(holdsSlot(queued.next.runtime)).toBe(false);
    const granted = decide(queued.next, SLOT_GRANTED, NOW_MS + 10);
    expect(inPhase(granted.next.runtime, 'LAUNCHING').byOperation).toBe(false);
    expect(granted.effects).toEqual([SPAWN]);
    expect(granted.outcome).toBeUndefined();
    const running = decide(granted.next, spawned(), NOW_MS + 20);
    expect(inPhase(running.next.runtime, 'RUNNING').job).toEqual({ pid: NEW_PID, startedAtMs: NOW_MS + 20, releaseAtMs: null });
    expect(running.next.counters.runs).toBe(queued.next.counters.runs + 1);
    expect(running.outcome).toBeUndefined();
  });

  it('a granted slot whose spawn fails leaves the process DORMANT, STOPPED, the failure counted', () => {
    const granted = decide(snapshot(TYPE, 'READY'), SLOT_GRANTED, NOW_MS);
    const failed = decide(granted.next, spawnFailed, NOW_MS);
    expect(failed.next.runtime).toEqual({ phase: 'DORMANT' });
    expect(failed.next.intent).toBe('STOPPED');
    expect(failed.next.counters.failures).toBe(granted.next.counters.failures + 1);
    expect(failed.outcome).toBeUndefined();
  });

  for (const name of fixturesOf(TYPE).filter((n) => n !== 'READY' && n !== 'READY_HELD')) {
    it(`SLOT_GRANTED is ignored by a process that is not READY (${name})`, () => {
      const before = snapshot(TYPE, name);
      expect(decide(before, SLOT_GRANTED, NOW_MS)).toEqual({ next: before, effects: [] });
    });
  }
});

describeResultRule(TYPE);
