// Every cell of the PERIODIC table (docs/state-model.md) through the HTTP API, against the real
// daemon and real child processes, checking the OS truth in /proc. Where a test shows that
// something does NOT happen, it lets a measured interval pass and asserts counts in wide bands.
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, FIXTURES_DIR } from '../support/sigmaDaemon.js';
import { Bench, expectCellsChangeNothing, letTimePass, lineCount, releaseBand, type NoChangeCell } from '../support/stateBench.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const ONE_SLOT = ['--max-running', '1'];
const LONG_PERIOD = 60_000;
/** A long job, released rarely: the release grid stays out of the way. */
const LONG_JOB = { type: 'PERIODIC', period: LONG_PERIOD, command: ['sleep', '300'] };
/** A short job released rarely: WAITING right after its first run. */
const SHORT_JOB = { type: 'PERIODIC', period: LONG_PERIOD, command: ['true'] };
const ONE_SHOT_LONG = { command: ['sleep', '300'] };

const ms = (iso: string): number => Date.parse(iso);

/** A bench with one slot: a ONE_SHOT `holder` RUNNING, and `periodic` (started) READY behind it. */
async function holderAndQueuedPeriodic(definition: Record<string, unknown> = SHORT_JOB) {
  const bench = await Bench.start(ONE_SLOT);
  const holder = await bench.create(ONE_SHOT_LONG);
  const periodic = await bench.create(definition);
  await bench.startRunning(holder);
  expect(await bench.op(periodic, 'START')).toMatchObject({ result: 'OK', state: 'READY' });
  expect(await bench.get(periodic)).toMatchObject({ state: 'READY', pid: null, runs: 0 });
  return { bench, holder, periodic };
}

/** A PERIODIC process started and WAITING after its first (short) job. */
async function waitingProcess(definition: Record<string, unknown> = SHORT_JOB) {
  const bench = await Bench.start();
  const id = await bench.create(definition);
  const started = await bench.op(id, 'START');
  expect(started.result).toBe('OK');
  expect(['RUNNING', 'WAITING']).toContain(started.state);
  const waiting = await bench.waitState(id, 'WAITING');
  expect(waiting).toMatchObject({ pid: null });
  // START's own job has run; on a busy machine a release may have followed it already.
  expect(waiting.runs).toBeGreaterThanOrEqual(1);
  return { bench, id, waiting };
}

/** A PERIODIC process with a long job, SUSPENDEND with its job stopped. */
async function suspendedWithJob(args: string[] = [], definition: Record<string, unknown> = LONG_JOB) {
  const bench = await Bench.start(args);
  const id = await bench.create(definition);
  const pid = await bench.startRunning(id);
  expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
  expect(procState(pid)).toBe('T');
  return { bench, id, pid };
}

async function expectSlotFreeAndQueueEmpty(bench: Bench): Promise<void> {
  const probe = await bench.create(ONE_SHOT_LONG);
  expect(await bench.op(probe, 'START'), 'a fresh START with the slot free and nobody queued').toMatchObject({ result: 'OK', state: 'RUNNING' });
}

/** Reads a process twice around a measured interval (test clock). */
async function acrossInterval(bench: Bench, id: number, intervalMs: number) {
  const t1 = performance.now();
  const before = await bench.get(id);
  const t2 = performance.now();
  await letTimePass(intervalMs);
  const t3 = performance.now();
  const after = await bench.get(id);
  const t4 = performance.now();
  // The shortest and the longest span the two readings can stand for.
  return { before, after, minElapsedMs: t3 - t2, maxElapsedMs: t4 - t1 };
}

function stampEnv(dir: string) {
  const file = join(dir, 'stamps');
  return { file, definition: { command: [join(FIXTURES_DIR, 'stamp.sh')], env: { STAMP_FILE: file } } };
}

/**
 * The cells that leave the process as it was, one column (starting state) per test: each answer
 * carries the expected result and the same state, and nothing changes over HTTP (state, job,
 * grid, counters) or in /proc.
 */
const NO_CHANGE: Array<{ title: string; reach: () => Promise<{ bench: Bench; id: number }>; cells: NoChangeCell[] }> = [
  {
    title: 'DORMANT: STOP → OK, no change; SUSPEND → FAILED (not started); RESUME → FAILED (not started)',
    reach: async () => {
      const bench = await Bench.start();
      return { bench, id: await bench.create(LONG_JOB) };
    },
    cells: [
      { operation: 'STOP', result: 'OK' },
      { operation: 'SUSPEND', result: 'FAILED', reason: /not started/ },
      { operation: 'RESUME', result: 'FAILED', reason: /not started/ },
    ],
  },
  {
    title: 'WAITING: START → OK, no change; RESUME → OK, no change (same grid, no new job)',
    reach: () => waitingProcess(),
    cells: [
      { operation: 'START', result: 'OK' },
      { operation: 'RESUME', result: 'OK' },
    ],
  },
  {
    title: 'READY: START → OK, no change; RESUME → OK, no change (still queued, no job)',
    reach: async () => {
      const { bench, periodic } = await holderAndQueuedPeriodic();
      return { bench, id: periodic };
    },
    cells: [
      { operation: 'START', result: 'OK' },
      { operation: 'RESUME', result: 'OK' },
    ],
  },
  {
    title: 'RUNNING: START → OK, no change; RESUME → OK, no change (same job, same grid, not stopped)',
    reach: async () => {
      const bench = await Bench.start();
      const id = await bench.create(LONG_JOB);
      await bench.startRunning(id);
      return { bench, id };
    },
    cells: [
      { operation: 'START', result: 'OK' },
      { operation: 'RESUME', result: 'OK' },
    ],
  },
  {
    title: 'SUSPENDEND: START → FAILED (suspended: RESUME it); SUSPEND → OK, no change (the job stays stopped)',
    reach: () => suspendedWithJob(),
    cells: [
      { operation: 'START', result: 'FAILED', reason: /RESUME/ },
      { operation: 'SUSPEND', result: 'OK' },
    ],
  },
];

describe('PERIODIC / cells that change nothing', () => {
  for (const { title, reach, cells } of NO_CHANGE) {
    it(title, async () => {
      const { bench, id } = await reach();
      await expectCellsChangeNothing(bench, id, cells);
      await bench.finish();
    });
  }
});

describe('PERIODIC / START', () => {
  it('DORMANT: t0 = now, first release at once → RUNNING; the next release is one period later', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ ...LONG_JOB, period: 10_000 });
    expect(await bench.get(id)).toMatchObject({ state: 'DORMANT', nextReleaseAt: null });
    const pid = await bench.startRunning(id);
    expect(isAlive(pid)).toBe(true);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'RUNNING', pid, runs: 1, overruns: 0, skipped: 0, failures: 0 });
    expect(process.nextReleaseAt).toBeTypeOf('string');
    // t0 is at or before the job's start, and the next release is t0 + period.
    const gap = ms(process.nextReleaseAt) - ms(process.startedAt);
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(10_000 + 1);
    await bench.finish();
  });

  it('DORMANT, no slot free: → READY (no job); runs once the slot frees', async () => {
    const { bench, holder, periodic } = await holderAndQueuedPeriodic(LONG_JOB);
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const running = await bench.waitState(periodic, 'RUNNING');
    expect(isAlive(running.pid)).toBe(true);
    expect(running.runs).toBe(1);
    await bench.finish();
  });

  it('DORMANT, the first spawn fails: FAILED, stays DORMANT, failure recorded, and no release follows', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ type: 'PERIODIC', period: 100, command: ['/nonexistent/x'] });
    const answer = await bench.op(id, 'START');
    expect(answer).toMatchObject({ result: 'FAILED', state: 'DORMANT' });
    expect(answer.reason).toMatch(/ENOENT/);
    const { before, after, minElapsedMs } = await acrossInterval(bench, id, 500);
    expect(minElapsedMs).toBeGreaterThanOrEqual(450);
    for (const reading of [before, after]) {
      expect(reading).toMatchObject({ state: 'DORMANT', pid: null, nextReleaseAt: null, runs: 0, failures: 1 });
      expect(reading.lastExit.error).toMatch(/ENOENT/);
    }
    await bench.finish();
  });

});

describe('PERIODIC / STOP', () => {
  it('WAITING: → DORMANT; no further release (period 600 ms, ≥ 3 periods watched)', async () => {
    // A period long enough that START, its job and STOP all fit before point 1 on a busy machine.
    const { bench, id, waiting } = await waitingProcess({ ...SHORT_JOB, period: 600 });
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const { before, after, minElapsedMs } = await acrossInterval(bench, id, 1900);
    expect(minElapsedMs).toBeGreaterThanOrEqual(1800);
    // A release that reached the launcher before the STOP is a run; none after it.
    expect(before).toMatchObject({ state: 'DORMANT', nextReleaseAt: null });
    expect(before.runs - waiting.runs).toBeLessThanOrEqual(1);
    expect(after).toMatchObject({ state: 'DORMANT', nextReleaseAt: null, runs: before.runs });
    expect(bench.liveJobs()).toEqual([]);
    await bench.finish();
  });

  it('READY: → DORMANT and leaves the queue (never launched when the slot frees); the queued release counts as skipped', async () => {
    const { bench, holder, periodic } = await holderAndQueuedPeriodic();
    expect(await bench.op(periodic, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(await bench.get(periodic)).toMatchObject({ state: 'DORMANT', pid: null, nextReleaseAt: null, runs: 0, skipped: 1 });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await expectSlotFreeAndQueueEmpty(bench);
    expect(await bench.get(periodic)).toMatchObject({ state: 'DORMANT', runs: 0 });
    await bench.finish();
  });

  it('RUNNING: → DORMANT; the job is ended as for ONE_SHOT (group gone at the answer) and no release follows', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ type: 'PERIODIC', period: 100, command: ['sleep', '300'] });
    const pid = await bench.startRunning(id);
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    const { before, after, minElapsedMs } = await acrossInterval(bench, id, 500);
    expect(minElapsedMs).toBeGreaterThanOrEqual(450);
    expect(before).toMatchObject({ state: 'DORMANT', pid: null, nextReleaseAt: null, runs: 1, failures: 0 });
    expect(before.lastExit).toMatchObject({ signal: 'SIGTERM', error: null });
    expect(after).toMatchObject({ state: 'DORMANT', pid: null, runs: 1, overruns: before.overruns });
    expect(bench.liveJobs()).toEqual([]);
    await bench.finish();
  });

  it('SUSPENDEND: → DORMANT; the stopped job is ended (SIGCONT + SIGTERM), group gone at the answer', async () => {
    const { bench, id, pid } = await suspendedWithJob();
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, nextReleaseAt: null, failures: 0 });
    expect(process.lastExit).toMatchObject({ signal: 'SIGTERM', error: null });
    await bench.finish();
  });
});

describe('PERIODIC / SUSPEND', () => {
  it('WAITING: → SUSPENDEND; never released during the suspension (period 100 ms, ≥ 5 periods); RESUME counts them as skipped and releases go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-stamps-'));
    try {
      const { file, definition } = stampEnv(dir);
      const { bench, id } = await waitingProcess({ type: 'PERIODIC', period: 100, ...definition });
      await waitFor('three releases to have run', () => bench.get(id), (p) => p.runs >= 3 && p.state === 'WAITING');
      expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
      const suspended = await bench.get(id);
      expect(suspended).toMatchObject({ state: 'SUSPENDEND', nextReleaseAt: null });
      // A job caught by the suspension is stopped and cannot stamp either.
      if (suspended.pid !== null) expect(procState(suspended.pid)).toBe('T');
      const stampsBefore = lineCount(file);

      const { after, minElapsedMs } = await acrossInterval(bench, id, 600);
      expect(minElapsedMs).toBeGreaterThanOrEqual(500);
      expect(lineCount(file), 'stamps written during the suspension').toBe(stampsBefore);
      expect(after).toMatchObject({ state: 'SUSPENDEND', runs: suspended.runs, overruns: suspended.overruns });

      const resumed = await bench.op(id, 'RESUME');
      expect(resumed.result).toBe('OK');
      expect(['WAITING', 'RUNNING']).toContain(resumed.state);
      const afterResume = await bench.get(id);
      // At least the release points that surely fell inside the suspension were skipped.
      expect(afterResume.skipped - suspended.skipped).toBeGreaterThanOrEqual(Math.floor(minElapsedMs / 100) - 1);
      expect(afterResume.overruns).toBe(suspended.overruns);
      await waitFor('releases to go on after RESUME', () => lineCount(file), (n) => n >= stampsBefore + 2);
      await bench.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('READY: → SUSPENDEND, leaves the queue; the queued release counts as skipped', async () => {
    const { bench, holder, periodic } = await holderAndQueuedPeriodic();
    expect(await bench.op(periodic, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(await bench.get(periodic)).toMatchObject({ state: 'SUSPENDEND', pid: null, nextReleaseAt: null, runs: 0, skipped: 1 });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await expectSlotFreeAndQueueEmpty(bench);
    expect(await bench.get(periodic)).toMatchObject({ state: 'SUSPENDEND', runs: 0 });
    // No job to continue: RESUME brings it back to WAITING on its grid.
    expect(await bench.op(periodic, 'RESUME')).toMatchObject({ result: 'OK', state: 'WAITING' });
    expect((await bench.get(periodic)).nextReleaseAt).toBeTypeOf('string');
    await bench.finish();
  });

  it('RUNNING: → SUSPENDEND; the job is SIGSTOPped and releases paused (release point while SUSPENDEND: skipped, not an overrun)', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ type: 'PERIODIC', period: 100, command: ['sleep', '300'] });
    const pid = await bench.startRunning(id);
    await bench.waitFor(id, 'to have overrun once', (p) => p.overruns >= 1);
    expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(procState(pid)).toBe('T');
    const { before, after, minElapsedMs } = await acrossInterval(bench, id, 600);
    expect(minElapsedMs).toBeGreaterThanOrEqual(500);
    expect(before).toMatchObject({ state: 'SUSPENDEND', pid, runs: 1, nextReleaseAt: null });
    expect(after).toMatchObject({ state: 'SUSPENDEND', pid, runs: 1, overruns: before.overruns });
    expect(procState(pid)).toBe('T');
    expect(bench.liveJobs().map((job) => job.pid)).toEqual([pid]);

    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'RUNNING' });
    expect(procState(pid)).not.toBe('T');
    const resumed = await bench.get(id);
    expect(resumed.skipped - before.skipped).toBeGreaterThanOrEqual(Math.floor(minElapsedMs / 100) - 1);
    // No release point of the suspension was counted as an overrun (one more may come after RESUME).
    expect(resumed.overruns - before.overruns).toBeLessThanOrEqual(1);
    await bench.finish();
  });

});

describe('PERIODIC / RESUME', () => {
  it('SUSPENDEND, a stopped job: SIGCONT → RUNNING (same job, same grid)', async () => {
    const bench = await Bench.start();
    const id = await bench.create(LONG_JOB);
    const pid = await bench.startRunning(id);
    const { nextReleaseAt } = await bench.get(id);
    expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(procState(pid)).toBe('T');
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'RUNNING' });
    expect(procState(pid)).not.toBe('T');
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', pid, runs: 1, skipped: 0, nextReleaseAt });
    await bench.finish();
  });

  it('SUSPENDEND, a stopped job, no slot free: → READY, still stopped; continued when the slot frees', async () => {
    const { bench, id, pid } = await suspendedWithJob(ONE_SLOT);
    const other = await bench.create(ONE_SHOT_LONG);
    await bench.startRunning(other);
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(procState(pid)).toBe('T');
    expect(await bench.op(other, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await bench.waitState(id, 'RUNNING');
    expect(procState(pid)).not.toBe('T');
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', pid, runs: 1 });
    await bench.finish();
  });

  it('SUSPENDEND, no job: → WAITING, next release on the original grid; the releases inside the suspension are skipped, never run late', async () => {
    // Long enough that START and its job end before point 1 on a busy machine.
    const period = 500;
    const { bench, id } = await waitingProcess({ ...SHORT_JOB, period });
    const beforeSuspend = await bench.get(id);
    expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    const suspended = await bench.get(id);
    expect(suspended).toMatchObject({ state: 'SUSPENDEND', pid: null, nextReleaseAt: null });
    const elapsed = await letTimePass(3 * period + 100);
    expect(elapsed).toBeGreaterThanOrEqual(3 * period);

    const resumed = await bench.op(id, 'RESUME');
    // Not run late: no job is launched by RESUME itself.
    expect(resumed).toMatchObject({ result: 'OK', state: 'WAITING' });
    const after = await bench.get(id);
    expect(after.runs).toBeLessThanOrEqual(suspended.runs + 1);
    expect(after.nextReleaseAt).toBeTypeOf('string');
    const shift = ms(after.nextReleaseAt) - ms(beforeSuspend.nextReleaseAt);
    const periods = Math.round(shift / period);
    // On the original grid (ISO timestamps are rounded to the millisecond).
    expect(Math.abs(shift - periods * period)).toBeLessThanOrEqual(1);
    expect(periods).toBeGreaterThanOrEqual(3);
    // Each grid point from the one pending at SUSPEND up to the new one was skipped (one fewer if
    // a release slipped in between the reading and the SUSPEND).
    const skipped = after.skipped - beforeSuspend.skipped;
    expect(skipped).toBeGreaterThanOrEqual(periods - 1);
    expect(skipped).toBeLessThanOrEqual(periods);
    await bench.waitFor(id, 'to be released again', (p) => p.runs > suspended.runs);
    await bench.finish();
  });
});

describe('PERIODIC / release point', () => {
  it('WAITING: spawn → RUNNING; at period 100 ms about 10 releases in 1 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-stamps-'));
    try {
      const { file, definition } = stampEnv(dir);
      const bench = await Bench.start();
      const id = await bench.create({ type: 'PERIODIC', period: 100, ...definition });
      expect((await bench.op(id, 'START')).result).toBe('OK');
      await waitFor('the first stamp', () => lineCount(file), (n) => n >= 1);
      const { before, after, minElapsedMs, maxElapsedMs } = await acrossInterval(bench, id, 1000);
      const runs = after.runs - before.runs;
      // About 10 in a second: the band is generous, the interval measured (at least the 1 s slept).
      const low = Math.min(7, releaseBand(minElapsedMs, 100).low);
      const high = releaseBand(maxElapsedMs, 100).high;
      expect(runs, `runs in ${Math.round(minElapsedMs)}..${Math.round(maxElapsedMs)} ms`).toBeGreaterThanOrEqual(low);
      expect(runs).toBeLessThanOrEqual(high);
      expect(after.failures).toBe(0);
      // Releases never drift: both readings' next release lie on the same grid t0 + k * period.
      const shift = ms(after.nextReleaseAt) - ms(before.nextReleaseAt);
      expect(Math.abs(shift - Math.round(shift / 100) * 100), `grid shift ${shift} ms`).toBeLessThanOrEqual(1);
      expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
      const { runs: total } = await bench.get(id);
      // Every job started stamped once (the last one may have been stopped before it could).
      expect(lineCount(file)).toBeGreaterThanOrEqual(total - 1);
      expect(lineCount(file)).toBeLessThanOrEqual(total);
      await bench.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('READY: skipped, counted as an overrun; no job starts while queued', async () => {
    const { bench, holder, periodic } = await holderAndQueuedPeriodic({ type: 'PERIODIC', period: 100, command: ['true'] });
    const { before, after, minElapsedMs, maxElapsedMs } = await acrossInterval(bench, periodic, 500);
    const overruns = after.overruns - before.overruns;
    expect(overruns).toBeGreaterThanOrEqual(releaseBand(minElapsedMs, 100).low);
    expect(overruns).toBeLessThanOrEqual(releaseBand(maxElapsedMs, 100).high);
    expect(after).toMatchObject({ state: 'READY', pid: null, runs: 0 });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await bench.waitFor(periodic, 'to run once the slot frees', (p) => p.runs >= 1);
    await bench.finish();
  });

  it('RUNNING: skipped, counted as an overrun; two jobs of one process never run at once (period 100 ms, sleep 0.35)', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ type: 'PERIODIC', period: 100, command: ['sleep', '0.35'] });
    expect((await bench.op(id, 'START')).result).toBe('OK');
    const leaders = new Set<number>();
    let mostAtOnce = 0;
    let samples = 0;
    const until = performance.now() + 1300;
    while (performance.now() < until) {
      const jobs = bench.liveJobs();
      for (const job of jobs) {
        leaders.add(job.pid);
        bench.groups.add(job.pid);
      }
      // Count live processes across every job group seen so far, by group.
      const liveGroups = new Set(jobs.map((job) => job.pgid));
      mostAtOnce = Math.max(mostAtOnce, liveGroups.size, jobs.length);
      samples += 1;
      await sleep(5);
    }
    // At least one reading per period on average (a busy CI machine reads /proc slowly): two jobs
    // at once would overlap for a period or more, so it would be seen.
    expect(samples).toBeGreaterThanOrEqual(13);
    expect(mostAtOnce, 'live jobs of the process at one instant').toBe(1);
    expect(leaders.size, 'distinct jobs seen over ~1.3 s').toBeGreaterThanOrEqual(2);
    const process = await bench.get(id);
    expect(process.overruns).toBeGreaterThanOrEqual(3);
    expect(process.runs).toBeGreaterThanOrEqual(2);
    expect(process.failures).toBe(0);
    await bench.finish();
  });
});

describe('PERIODIC / job exits', () => {
  const endings = [
    { how: 'exit 0', command: ['sh', '-c', 'exit 0'], code: 0, failures: 0 },
    { how: 'exit 3', command: ['sh', '-c', 'exit 3'], code: 3, failures: 1 },
  ];
  for (const { how, command, code, failures } of endings) {
    it(`RUNNING, ${how}: → WAITING; exit recorded (failures ${failures}), nextReleaseAt present`, async () => {
      const bench = await Bench.start();
      const id = await bench.create({ type: 'PERIODIC', period: LONG_PERIOD, command });
      const started = await bench.op(id, 'START');
      expect(started).toMatchObject({ result: 'OK' });
      const waiting = await bench.waitState(id, 'WAITING');
      expect(waiting).toMatchObject({ pid: null, runs: 1, failures });
      expect(waiting.lastExit).toMatchObject({ code, signal: null, error: null });
      expect(waiting.nextReleaseAt).toBeTypeOf('string');
      await bench.finish();
    });
  }

  it('SUSPENDEND, killed from outside: stays SUSPENDEND; exit recorded (SIGKILL, failures 1); RESUME → WAITING', async () => {
    const { bench, id, pid } = await suspendedWithJob();
    process.kill(pid, 'SIGKILL');
    const ended = await bench.waitFor(id, 'to record the end of its job', (p) => p.pid === null);
    expect(ended).toMatchObject({ state: 'SUSPENDEND', runs: 1, failures: 1, nextReleaseAt: null });
    expect(ended.lastExit).toMatchObject({ code: null, signal: 'SIGKILL', error: null });
    expect(liveGroupMembers(pid)).toEqual([]);
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'WAITING' });
    expect((await bench.get(id)).nextReleaseAt).toBeTypeOf('string');
    await bench.finish();
  });
});

describe('PERIODIC / spawn fails at a release', () => {
  it('WAITING: stays WAITING; each failure recorded and counted; the next release tries again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-vanishing-'));
    try {
      const script = join(dir, 'job.sh');
      const writeScript = () => {
        writeFileSync(script, '#!/bin/sh\nexit 0\n');
        chmodSync(script, 0o755);
      };
      writeScript();
      const bench = await Bench.start();
      const id = await bench.create({ type: 'PERIODIC', period: 100, command: [script] });
      expect((await bench.op(id, 'START')).result).toBe('OK');
      const firstRun = await bench.waitFor(id, 'to have run', (p) => p.runs >= 1);
      unlinkSync(script);
      const failing = await bench.waitFor(id, 'to count 3 spawn failures while WAITING', (p) => p.failures >= 3 && p.state === 'WAITING');
      expect(failing.lastExit.error).toMatch(/ENOENT/);
      expect(failing.nextReleaseAt).toBeTypeOf('string');
      const runsWhileMissing = failing.runs;
      expect(runsWhileMissing).toBeLessThanOrEqual(firstRun.runs + 1);
      const later = await bench.waitFor(id, 'to count more failures', (p) => p.failures > failing.failures);
      expect(later.runs).toBe(runsWhileMissing);
      expect(['WAITING', 'READY']).toContain(later.state);

      writeScript();
      const recovered = await bench.waitFor(id, 'to run again once the program is back', (p) => p.runs > runsWhileMissing);
      expect(recovered.failures).toBeGreaterThanOrEqual(later.failures);
      await bench.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
