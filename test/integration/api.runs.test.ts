// GET /processes/{id}/runs: the run history, newest first, as the jobs really ended.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

async function runsOf(daemon: SigmaDaemon, id: number, query = ''): Promise<any[]> {
  const reply = await daemon.request('GET', `/processes/${id}/runs${query}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body.runs;
}

describe('run history', () => {
  it('records how each ONE_SHOT job ended: on its own with its code, or ended by sigma with the signal', async () => {
    const daemon = await SigmaDaemon.start();
    const failing = (await daemon.create({ name: 'exit3', command: ['sh', '-c', 'sleep 0.2; exit 3'], state: 'RUNNING' })).body.processes[0];
    await waitFor('exit3 to end', () => runsOf(daemon, failing.id), (runs) => runs.length === 1);
    const [ended] = await runsOf(daemon, failing.id);
    expect(ended).toMatchObject({ pid: failing.pid, exitCode: 3, signal: null, releaseAt: null, releaseLatenessMs: null, error: null, endedBySigma: false });
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(ended.startedAt));
    // Its duration is the time between its start and its end (both given to the millisecond), and
    // at least the 200 ms it slept.
    expect(Math.abs(ended.durationMs - (Date.parse(ended.endedAt) - Date.parse(ended.startedAt))), `durationMs ${ended.durationMs}`).toBeLessThanOrEqual(1);
    expect(ended.durationMs).toBeGreaterThanOrEqual(200);

    const sleeper = (await daemon.create({ name: 'sleeper', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
    expect((await daemon.operate(sleeper.id, 'STOP')).body.processes[0].result).toBe('OK');
    const [stopped] = await runsOf(daemon, sleeper.id);
    expect(stopped).toMatchObject({ pid: sleeper.pid, exitCode: null, signal: 'SIGTERM', endedBySigma: true });
  });

  it('records a spawn that failed, with no pid and the reason', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'missing', command: ['/nonexistent/program'], state: 'RUNNING' });
    const id = created.body.processes[0].id;
    const [run] = await runsOf(daemon, id);
    expect(run).toMatchObject({ pid: null, exitCode: null, signal: null, endedBySigma: false });
    expect(run.error).toMatch(/nonexistent/);
  });

  it('lists PERIODIC runs newest first, each with its release point and lateness, `limit` at a time', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'ticker', type: 'PERIODIC', period: 50, command: ['true'], state: 'RUNNING' });
    const id = created.body.processes[0].id;
    const runs = await waitFor('five runs', () => runsOf(daemon, id), (list) => list.length >= 5);
    expect((await daemon.operate(id, 'STOP')).status).toBe(200);
    const ids = runs.map((run) => run.id);
    expect(ids, 'newest first').toEqual([...ids].sort((a, b) => b - a));
    for (const run of runs) {
      expect(run.exitCode).toBe(0);
      expect(run.releaseAt).not.toBeNull();
      expect(run.releaseLatenessMs).toBeCloseTo(Date.parse(run.startedAt) - Date.parse(run.releaseAt), -1);
      expect(run.releaseLatenessMs).toBeGreaterThanOrEqual(0);
    }
    // Release points are on the 50 ms grid.
    const releases = runs.map((run) => Date.parse(run.releaseAt)).reverse();
    for (let i = 1; i < releases.length; i += 1) expect(((releases[i]! - releases[0]!) / 50) % 1).toBeCloseTo(0, 1);
    expect(await runsOf(daemon, id, '?limit=2')).toEqual((await runsOf(daemon, id)).slice(0, 2));
  });

  it('tells each job its process and, for PERIODIC, its release point (SIGMA_RELEASE_AT_MS), as its run records it', async () => {
    const daemon = await SigmaDaemon.start();
    const command = ['sh', '-c', 'echo "$SIGMA_PROCESS_ID $SIGMA_PROCESS_NAME $SIGMA_RELEASE_AT_MS"'];
    const id = (await daemon.create({ name: 'labelled', type: 'PERIODIC', period: 100, command, state: 'RUNNING' })).body.processes[0].id;
    const runs = await waitFor('three runs', () => runsOf(daemon, id), (list) => list.length >= 3);
    await daemon.operate(id, 'STOP');
    const lines = (await daemon.request('GET', `/processes/${id}/logs`)).text.trimEnd().split('\n');
    const releases = lines.map((line) => {
      const [processId, name, releaseAtMs] = line.split(' ');
      expect([processId, name]).toEqual([String(id), 'labelled']);
      return Math.round(Number(releaseAtMs));
    });
    for (const run of runs) expect(releases).toContain(Date.parse(run.releaseAt));
    const oneShot = await daemon.create({ name: 'plain', command, state: 'RUNNING' });
    const plainId = oneShot.body.processes[0].id;
    const text = await waitFor('its line', async () => (await daemon.request('GET', `/processes/${plainId}/logs`)).text, (t) => t.length > 0);
    expect(text).toBe(`${plainId} plain \n`);
  });

  it('refuses a bad limit or an unknown query field with 400, and an unknown process with 404', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'idle', command: ['true'] })).body.processes[0].id;
    for (const query of ['?limit=0', '?limit=101', '?limit=abc', '?limit=-1', '?since=3']) {
      expectError(await daemon.request('GET', `/processes/${id}/runs${query}`), 400, 'SIGMA_ERR_REQUEST_INVALID');
    }
    expectError(await daemon.request('GET', '/processes/999/runs'), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expect(await runsOf(daemon, id)).toEqual([]);
  });

  it('keeps the history across a restart of the daemon', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'once', command: ['true'], state: 'RUNNING' })).body.processes[0].id;
    const before = await waitFor('the run', () => runsOf(daemon, id), (runs) => runs.length === 1);
    expect(await daemon.stop()).toBe(0);
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    expect(await runsOf(again, id)).toEqual(before);
  });
});
