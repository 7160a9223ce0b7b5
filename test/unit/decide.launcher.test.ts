// What the launcher reports, as inputs of the state machine: a job it started on its own at a
// release point (RELEASED), release points it passed without a job (RELEASE_PASSED), and a spawn
// of its that failed (RELEASE_FAILED), in every phase, for both types.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Effect, Input } from '../../src/core/decision.js';
import {
  NEW_PID,
  NEXT_RELEASE_MS,
  NOW_MS,
  PERIOD_MS,
  PID,
  RELEASE_MS,
  STOP_TIMEOUT_MS,
  arm,
  exited,
  fixturesOf,
  playCell,
  signalGroup,
  snapshot,
  type Cell,
} from './decideFixtures.js';

const released = (releaseAtMs: number | null, skippedBefore = 0): Input => ({ kind: 'RELEASED', pid: NEW_PID, releaseAtMs, skippedBefore });
const passed = (releaseAtMs: number, count: number, overrun: boolean): Input => ({ kind: 'RELEASE_PASSED', releaseAtMs, count, overrun });
const LAUNCH_ERROR = 'ENOENT: no such file: ./gone';
const failedAt = (releaseAtMs: number, skippedBefore = 0): Input => ({ kind: 'RELEASE_FAILED', releaseAtMs, error: LAUNCH_ERROR, skippedBefore });
const AFTER = NEXT_RELEASE_MS + PERIOD_MS;
const END_NEW_JOB: Effect = { kind: 'END_GROUP', pid: NEW_PID, graceMs: STOP_TIMEOUT_MS };
const newJob = (releaseAtMs: number | null) => ({ pid: NEW_PID, startedAtMs: NOW_MS, releaseAtMs });
const failure = (releaseAtMs: number) => ({
  run: { pid: null, error: LAUNCH_ERROR, releaseAtMs, endedBySigma: false },
  lastExit: { code: null, signal: null, atMs: NOW_MS, durationMs: 0, error: LAUNCH_ERROR },
});

const PERIODIC: Cell[] = [
  {
    name: 'RELEASED x WAITING: the job of the release point runs; the grid moves past it',
    from: 'WAITING',
    steps: [
      {
        input: released(NEXT_RELEASE_MS),
        wire: 'RUNNING',
        counters: { runs: 1 },
        effects: [arm(AFTER)],
        check: (d) => expect(d.next.runtime).toEqual({ phase: 'RUNNING', grid: { t0Ms: 10_000, periodMs: PERIOD_MS, nextReleaseAtMs: AFTER }, job: newJob(NEXT_RELEASE_MS) }),
      },
    ],
  },
  {
    name: 'RELEASED x WAITING, after points a late wake-up passed over: those count as skipped',
    from: 'WAITING',
    steps: [{ input: released(AFTER + PERIOD_MS, 2), wire: 'RUNNING', counters: { runs: 1, skipped: 2 }, effects: [arm(AFTER + 2 * PERIOD_MS)] }],
  },
  {
    name: 'RELEASED x READY (a spawn a dead daemon asked for): it runs, as the queued release',
    from: 'READY',
    steps: [{ input: released(null), wire: 'RUNNING', counters: { runs: 1 }, effects: [arm(NEXT_RELEASE_MS)], check: (d) => expect(d.next.runtime).toMatchObject({ job: newJob(RELEASE_MS) }) }],
  },
  { name: 'RELEASED x READY with a held job: ignored', from: 'READY_HELD', steps: [{ input: released(NEXT_RELEASE_MS), wire: 'READY', unchanged: true }] },
  {
    name: 'RELEASED x LAUNCHING (the answer to its own request, told again): RUNNING, and the operation is OK',
    from: 'LAUNCHING',
    steps: [{ input: released(null), wire: 'RUNNING', outcome: 'OK', counters: { runs: 1 }, check: (d) => expect(d.next.runtime).toMatchObject({ job: newJob(RELEASE_MS) }) }],
  },
  { name: 'RELEASED x LAUNCHING at a release: RUNNING', from: 'LAUNCHING_AT_RELEASE', steps: [{ input: released(null), wire: 'RUNNING', counters: { runs: 1 } }] },
  { name: 'RELEASED x RUNNING: ignored (the launcher never starts a second job)', from: 'RUNNING', steps: [{ input: released(NEXT_RELEASE_MS), wire: 'RUNNING', unchanged: true }] },
  { name: 'RELEASED x STOPPING: ignored', from: 'STOPPING', steps: [{ input: released(NEXT_RELEASE_MS), wire: 'RUNNING', unchanged: true }] },
  {
    name: 'RELEASED x SUSPENDEND without a job (the release raced the SUSPEND): the job is stopped at once',
    from: 'SUSPENDED_NO_JOB',
    steps: [
      {
        input: released(NEXT_RELEASE_MS),
        wire: 'SUSPENDEND',
        counters: { runs: 1 },
        effects: [signalGroup('SIGSTOP', NEW_PID)],
        check: (d) => expect(d.next.runtime).toMatchObject({ phase: 'SUSPENDED', job: newJob(NEXT_RELEASE_MS), grid: { nextReleaseAtMs: AFTER } }),
      },
    ],
  },
  { name: 'RELEASED x SUSPENDEND with a job: ignored', from: 'SUSPENDED_JOB', steps: [{ input: released(NEXT_RELEASE_MS), wire: 'SUSPENDEND', unchanged: true }] },
  {
    name: 'RELEASED x DORMANT (the release raced the STOP): the job is ended at once, and recorded as ended by sigma',
    from: 'DORMANT',
    steps: [
      { input: released(NEXT_RELEASE_MS), wire: 'RUNNING', phase: 'STOPPING', counters: { runs: 1 }, effects: [END_NEW_JOB] },
      { input: exited(null, 'SIGTERM', NEW_PID), wire: 'DORMANT', outcome: 'OK', run: { pid: NEW_PID, endedBySigma: true }, lastExit: { signal: 'SIGTERM' } },
    ],
  },
  // RELEASE_PASSED
  {
    name: 'RELEASE_PASSED x WAITING (nothing could be started: a daemon away too long): skipped, grid moves on',
    from: 'WAITING',
    steps: [{ input: passed(NEXT_RELEASE_MS, 1, false), wire: 'WAITING', counters: { skipped: 1 }, effects: [arm(AFTER)] }],
  },
  {
    name: 'RELEASE_PASSED x RUNNING, overrun: counted as overruns, grid moves past the latest point',
    from: 'RUNNING',
    steps: [{ input: passed(AFTER, 2, true), wire: 'RUNNING', counters: { overruns: 2 }, effects: [arm(AFTER + PERIOD_MS)] }],
  },
  { name: 'RELEASE_PASSED x READY, overrun', from: 'READY', steps: [{ input: passed(NEXT_RELEASE_MS, 1, true), wire: 'READY', counters: { overruns: 1 }, effects: [arm(AFTER)] }] },
  { name: 'RELEASE_PASSED x SUSPENDEND: skipped, no release armed', from: 'SUSPENDED_JOB', steps: [{ input: passed(NEXT_RELEASE_MS, 1, false), wire: 'SUSPENDEND', counters: { skipped: 1 } }] },
  { name: 'RELEASE_PASSED x DORMANT (told after a STOP, which counted it): ignored', from: 'DORMANT', steps: [{ input: passed(NEXT_RELEASE_MS, 1, true), wire: 'DORMANT', unchanged: true }] },
  { name: 'RELEASE_PASSED x STOPPING: ignored', from: 'STOPPING', steps: [{ input: passed(NEXT_RELEASE_MS, 1, true), wire: 'RUNNING', unchanged: true }] },
  {
    name: 'RELEASE_PASSED at a point already handled: counted, the grid does not go back',
    from: 'WAITING',
    steps: [{ input: passed(RELEASE_MS, 1, false), wire: 'WAITING', counters: { skipped: 1 }, effects: [arm(NEXT_RELEASE_MS)] }],
  },
  // RELEASE_FAILED
  {
    name: 'RELEASE_FAILED x WAITING: stays WAITING, the failure recorded and counted, the next release armed',
    from: 'WAITING',
    steps: [{ input: failedAt(NEXT_RELEASE_MS), wire: 'WAITING', counters: { failures: 1 }, effects: [arm(AFTER)], ...failure(NEXT_RELEASE_MS) }],
  },
  {
    name: 'RELEASE_FAILED x SUSPENDEND without a job: recorded; nothing armed',
    from: 'SUSPENDED_NO_JOB',
    steps: [{ input: failedAt(NEXT_RELEASE_MS, 1), wire: 'SUSPENDEND', counters: { failures: 1, skipped: 1 }, ...failure(NEXT_RELEASE_MS) }],
  },
  { name: 'RELEASE_FAILED x DORMANT: recorded', from: 'DORMANT', steps: [{ input: failedAt(NEXT_RELEASE_MS), wire: 'DORMANT', counters: { failures: 1 }, ...failure(NEXT_RELEASE_MS) }] },
];

const ONE_SHOT: Cell[] = [
  { name: 'RELEASED x READY (a spawn a dead daemon asked for): RUNNING', from: 'READY', steps: [{ input: released(null), wire: 'RUNNING', counters: { runs: 1 }, check: (d) => expect(d.next.runtime).toMatchObject({ grid: null, job: newJob(null) }) }] },
  { name: 'RELEASED x LAUNCHING: RUNNING, the START is OK', from: 'LAUNCHING', steps: [{ input: released(null), wire: 'RUNNING', outcome: 'OK', counters: { runs: 1 } }] },
  {
    name: 'RELEASED x DORMANT: ended at once',
    from: 'DORMANT',
    steps: [{ input: released(null), wire: 'RUNNING', phase: 'STOPPING', counters: { runs: 1 }, effects: [END_NEW_JOB] }],
  },
  { name: 'RELEASED x RUNNING: ignored', from: 'RUNNING', steps: [{ input: released(null), wire: 'RUNNING', unchanged: true }] },
  { name: 'RELEASE_PASSED without a grid: ignored', from: 'RUNNING', steps: [{ input: passed(NEXT_RELEASE_MS, 1, true), wire: 'RUNNING', unchanged: true }] },
];

describe('PERIODIC: what the launcher reports', () => {
  for (const cell of PERIODIC) it(cell.name, () => playCell('PERIODIC', cell));
});

describe('ONE_SHOT: what the launcher reports', () => {
  for (const cell of ONE_SHOT) it(cell.name, () => playCell('ONE_SHOT', cell));
});

describe('every phase x every launcher report: decide answers, keeps the spec, never settles an operation it was not given', () => {
  for (const type of ['ONE_SHOT', 'PERIODIC'] as const) {
    for (const name of fixturesOf(type)) {
      for (const input of [released(NEXT_RELEASE_MS), released(null), passed(NEXT_RELEASE_MS, 1, true), passed(NEXT_RELEASE_MS, 1, false), failedAt(NEXT_RELEASE_MS)]) {
        it(`${type} ${name} x ${input.kind}`, () => {
          const before = snapshot(type, name);
          const d = decide(before, input, NOW_MS);
          expect(d.next.spec).toEqual(before.spec);
          // Only an operation waiting on this very spawn (LAUNCHING by an operation) is settled.
          if (d.outcome) expect(before.runtime).toMatchObject({ phase: 'LAUNCHING', byOperation: true });
          // Nothing ever runs twice: a job that was there stays the job.
          const jobBefore = 'job' in before.runtime ? before.runtime.job : null;
          if (jobBefore) expect(d.next.runtime).toMatchObject({ job: { pid: PID } });
        });
      }
    }
  }
});
