// Every cell of the ONE_SHOT table (docs/state-model.md) through the HTTP API, against the real
// daemon and real child processes, checking the OS truth in /proc.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers, procState } from '../support/osProcesses.js';
import { cleanUpDaemons } from '../support/sigmaDaemon.js';
import { Bench, expectCellsChangeNothing, groupOf, type NoChangeCell } from '../support/stateBench.js';

afterEach(cleanUpDaemons);

const LONG = { command: ['sleep', '300'] };
const ONE_SLOT = ['--max-running', '1'];

/** A bench with one slot: `holder` RUNNING (holding it), `queued` READY behind it. */
async function holderAndQueued(): Promise<{ bench: Bench; holder: number; holderPid: number; queued: number }> {
  const bench = await Bench.start(ONE_SLOT);
  const holder = await bench.create(LONG);
  const queued = await bench.create(LONG);
  const holderPid = await bench.startRunning(holder);
  expect(await bench.op(queued, 'START')).toMatchObject({ result: 'OK', state: 'READY' });
  expect((await bench.get(queued)).pid).toBeNull();
  return { bench, holder, holderPid, queued };
}

/** A bench with one RUNNING job, then SUSPENDed. */
async function suspendedJob(args: string[] = []): Promise<{ bench: Bench; id: number; pid: number }> {
  const bench = await Bench.start(args);
  const id = await bench.create(LONG);
  const pid = await bench.startRunning(id);
  expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
  expect(procState(pid)).toBe('T');
  return { bench, id, pid };
}

/** Asserts the slot queue is empty and the slot free: a fresh START runs at once. */
async function expectSlotFreeAndQueueEmpty(bench: Bench): Promise<void> {
  const probe = await bench.create(LONG);
  expect(await bench.op(probe, 'START'), 'a fresh START with the slot free and nobody queued').toMatchObject({ result: 'OK', state: 'RUNNING' });
}

/**
 * The cells that leave the process as it was, one column (starting state) per test: each answer
 * carries the expected result and the same state, and nothing changes over HTTP or in /proc.
 */
const NO_CHANGE: Array<{ title: string; reach: () => Promise<{ bench: Bench; id: number }>; cells: NoChangeCell[] }> = [
  {
    title: 'DORMANT: STOP → OK, no change; SUSPEND → FAILED (not started); RESUME → FAILED (not started)',
    reach: async () => {
      const bench = await Bench.start();
      return { bench, id: await bench.create(LONG) };
    },
    cells: [
      { operation: 'STOP', result: 'OK' },
      { operation: 'SUSPEND', result: 'FAILED', reason: /not started/ },
      { operation: 'RESUME', result: 'FAILED', reason: /not started/ },
    ],
  },
  {
    title: 'READY: START → OK, no change; RESUME → OK, no change (still queued, no job)',
    reach: async () => {
      const { bench, queued } = await holderAndQueued();
      return { bench, id: queued };
    },
    cells: [
      { operation: 'START', result: 'OK' },
      { operation: 'RESUME', result: 'OK' },
    ],
  },
  {
    title: 'RUNNING: START → OK, no change; RESUME → OK, no change (same job, no second one, not stopped)',
    reach: async () => {
      const bench = await Bench.start();
      const id = await bench.create(LONG);
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
    reach: () => suspendedJob(),
    cells: [
      { operation: 'START', result: 'FAILED', reason: /RESUME/ },
      { operation: 'SUSPEND', result: 'OK' },
    ],
  },
];

describe('ONE_SHOT / cells that change nothing', () => {
  for (const { title, reach, cells } of NO_CHANGE) {
    it(title, async () => {
      const { bench, id } = await reach();
      await expectCellsChangeNothing(bench, id, cells);
      await bench.finish();
    });
  }
});

describe('ONE_SHOT / START', () => {
  it('DORMANT: spawns a job → RUNNING; the job leads its own process group', async () => {
    const bench = await Bench.start();
    const id = await bench.create(LONG);
    expect(await bench.get(id)).toMatchObject({ state: 'DORMANT', pid: null, runs: 0 });
    const pid = await bench.startRunning(id);
    expect(isAlive(pid)).toBe(true);
    expect(groupOf(pid)).toBe(pid);
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', pid, runs: 1, failures: 0 });
    await bench.finish();
  });

  it('DORMANT, no slot free (--max-running 1): → READY, no job; it runs first-come-first-served when the slot frees', async () => {
    const bench = await Bench.start(ONE_SLOT);
    const holder = await bench.create(LONG);
    const first = await bench.create(LONG);
    const second = await bench.create(LONG);
    await bench.startRunning(holder);
    expect(await bench.op(first, 'START')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(await bench.op(second, 'START')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(await bench.get(first)).toMatchObject({ state: 'READY', pid: null, runs: 0 });
    expect(bench.liveJobs()).toHaveLength(1);

    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const running = await bench.waitState(first, 'RUNNING');
    expect(isAlive(running.pid)).toBe(true);
    expect(await bench.get(second)).toMatchObject({ state: 'READY', pid: null });

    expect(await bench.op(first, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await bench.waitState(second, 'RUNNING');
    await bench.finish();
  });

  it('DORMANT, spawn fails (no such file): FAILED with ENOENT, stays DORMANT, error recorded, failures 1', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ command: ['/nonexistent/x'] });
    const answer = await bench.op(id, 'START');
    expect(answer).toMatchObject({ result: 'FAILED', state: 'DORMANT' });
    expect(answer.reason).toMatch(/ENOENT/);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, runs: 0, failures: 1 });
    expect(process.lastExit.error).toMatch(/ENOENT/);
    expect(bench.liveJobs()).toEqual([]);
    await bench.finish();
  });

  it('DORMANT, spawn fails (not executable, mode 0644): FAILED with EACCES, stays DORMANT, error recorded, failures 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-noexec-'));
    try {
      const script = join(dir, 'script.sh');
      writeFileSync(script, '#!/bin/sh\nexit 0\n');
      chmodSync(script, 0o644);
      const bench = await Bench.start();
      const id = await bench.create({ command: [script] });
      const answer = await bench.op(id, 'START');
      expect(answer).toMatchObject({ result: 'FAILED', state: 'DORMANT' });
      expect(answer.reason).toMatch(/EACCES/);
      const process = await bench.get(id);
      expect(process).toMatchObject({ state: 'DORMANT', pid: null, runs: 0, failures: 1 });
      expect(process.lastExit.error).toMatch(/EACCES/);
      await bench.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

describe('ONE_SHOT / STOP', () => {
  it('READY: → DORMANT and leaves the queue (never launched when the slot frees)', async () => {
    const { bench, holder, queued } = await holderAndQueued();
    expect(await bench.op(queued, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await expectSlotFreeAndQueueEmpty(bench);
    expect(await bench.get(queued)).toMatchObject({ state: 'DORMANT', pid: null, runs: 0 });
    await bench.finish();
  });

  it('RUNNING: → DORMANT: SIGTERM to the group, answered once nothing of the group is left', async () => {
    const bench = await Bench.start();
    const id = await bench.create(LONG);
    const pid = await bench.startRunning(id);
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, runs: 1, failures: 0 });
    expect(process.lastExit).toMatchObject({ code: null, signal: 'SIGTERM', error: null });
    await bench.finish();
  });

  it('SUSPENDEND: → DORMANT: SIGCONT + SIGTERM (the stopped job dies of SIGTERM well before the grace), group gone at the answer', async () => {
    const { bench, id, pid } = await suspendedJob();
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, failures: 0 });
    // With the default 5 s grace, SIGTERM (not SIGKILL) ending it shows it was continued.
    expect(process.lastExit).toMatchObject({ signal: 'SIGTERM', error: null });
    await bench.finish();
  });
});

describe('ONE_SHOT / SUSPEND', () => {
  it('READY: → SUSPENDEND and leaves the queue (not launched when the slot frees)', async () => {
    const { bench, holder, queued } = await holderAndQueued();
    expect(await bench.op(queued, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(await bench.get(queued)).toMatchObject({ state: 'SUSPENDEND', pid: null, runs: 0 });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await expectSlotFreeAndQueueEmpty(bench);
    expect(await bench.get(queued)).toMatchObject({ state: 'SUSPENDEND', pid: null, runs: 0 });
    await bench.finish();
  });

  it('RUNNING: → SUSPENDEND: the job is stopped (T in /proc) and its slot is given back', async () => {
    const bench = await Bench.start(ONE_SLOT);
    const id = await bench.create(LONG);
    const pid = await bench.startRunning(id);
    expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(procState(pid)).toBe('T');
    expect(await bench.get(id)).toMatchObject({ state: 'SUSPENDEND', pid });
    await expectSlotFreeAndQueueEmpty(bench);
    expect(procState(pid)).toBe('T');
    await bench.finish();
  });

});

describe('ONE_SHOT / RESUME', () => {
  it('SUSPENDEND: SIGCONT → RUNNING (same job, no longer T)', async () => {
    const { bench, id, pid } = await suspendedJob();
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'RUNNING' });
    expect(procState(pid)).not.toBe('T');
    expect(isAlive(pid)).toBe(true);
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', pid, runs: 1 });
    await bench.finish();
  });

  it('SUSPENDEND, no slot free: → READY, still stopped; continued (same job) when the slot frees', async () => {
    const { bench, id, pid } = await suspendedJob(ONE_SLOT);
    const other = await bench.create(LONG);
    await bench.startRunning(other);
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(procState(pid)).toBe('T');
    expect(await bench.get(id)).toMatchObject({ state: 'READY', pid });

    expect(await bench.op(other, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    await bench.waitState(id, 'RUNNING');
    expect(procState(pid)).not.toBe('T');
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', pid, runs: 1 });
    await bench.finish();
  });

  it('SUSPENDEND (suspended while READY, no job), slot still taken: → READY; launched by the slot queue when the slot frees', async () => {
    const { bench, holder, queued } = await holderAndQueued();
    expect(await bench.op(queued, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(await bench.op(queued, 'RESUME')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(await bench.get(queued)).toMatchObject({ state: 'READY', pid: null, runs: 0 });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const running = await bench.waitState(queued, 'RUNNING');
    expect(isAlive(running.pid)).toBe(true);
    expect(running.runs).toBe(1);
    await bench.finish();
  });

  it('SUSPENDEND (suspended while READY, no job), slot free by now: → READY, then launched by the slot queue', async () => {
    const { bench, holder, queued } = await holderAndQueued();
    expect(await bench.op(queued, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(await bench.op(holder, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const resumed = await bench.op(queued, 'RESUME');
    expect(resumed.result).toBe('OK');
    expect(['READY', 'RUNNING']).toContain(resumed.state);
    const running = await bench.waitState(queued, 'RUNNING');
    expect(isAlive(running.pid)).toBe(true);
    expect(running.runs).toBe(1);
    await bench.finish();
  });
});

describe('ONE_SHOT / job exits', () => {
  const endings = [
    { how: 'exit 0', command: ['sh', '-c', 'sleep 0.2; exit 0'], code: 0, signal: null, failures: 0 },
    { how: 'exit 3', command: ['sh', '-c', 'sleep 0.2; exit 3'], code: 3, signal: null, failures: 1 },
    { how: 'killed by a signal of its own', command: ['sh', '-c', 'sleep 0.2; kill -KILL $$'], code: null, signal: 'SIGKILL', failures: 1 },
  ];
  for (const { how, command, code, signal, failures } of endings) {
    it(`RUNNING, ${how}: → DORMANT; code/signal, time and duration recorded; failures ${failures}`, async () => {
      const bench = await Bench.start();
      const id = await bench.create({ command });
      const before = Date.now();
      const pid = await bench.startRunning(id);
      const ended = await bench.waitState(id, 'DORMANT');
      expect(ended).toMatchObject({ pid: null, runs: 1, failures });
      expect(ended.lastExit).toMatchObject({ code, signal, error: null });
      // The job slept 0.2 s before ending: a lower bound on the recorded duration, not a timing.
      expect(ended.lastExit.durationMs).toBeGreaterThanOrEqual(150);
      const at = Date.parse(ended.lastExit.at);
      expect(at).toBeGreaterThanOrEqual(before - 5000);
      expect(at).toBeLessThanOrEqual(Date.now() + 5000);
      expect(liveGroupMembers(pid)).toEqual([]);
      await bench.finish();
    });
  }

  it('SUSPENDEND, killed from outside (SIGKILL): → DORMANT; lastExit.signal SIGKILL, failures 1', async () => {
    const { bench, id, pid } = await suspendedJob();
    process.kill(pid, 'SIGKILL');
    const ended = await bench.waitState(id, 'DORMANT');
    expect(ended).toMatchObject({ pid: null, runs: 1, failures: 1 });
    expect(ended.lastExit).toMatchObject({ code: null, signal: 'SIGKILL', error: null });
    expect(liveGroupMembers(pid)).toEqual([]);
    // Not started any more: RESUME fails, START runs a new job.
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'FAILED', state: 'DORMANT' });
    const again = await bench.startRunning(id);
    expect(again).not.toBe(pid);
    expect(await bench.get(id)).toMatchObject({ state: 'RUNNING', runs: 2, failures: 1 });
    await bench.finish();
  });
});
