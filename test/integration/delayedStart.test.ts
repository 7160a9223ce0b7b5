// START with a delay, through the daemon: WAITING, then the first job no earlier than its time;
// a PERIODIC grid that begins there; delayMs with another operation is a 400.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpClis, cliEnvFor, runCli } from '../support/cliRunner.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(async () => {
  await cleanUpClis();
  await cleanUpDaemons();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runsOf(daemon: SigmaDaemon, id: number): Promise<any[]> {
  return (await daemon.request('GET', `/processes/${id}/runs`)).body.runs;
}

describe('a delayed START', () => {
  it('ONE_SHOT: OK and WAITING, then RUNNING no earlier than its delay', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'later', command: ['sleep', '300'] })).body.processes[0].id;
    const sentAtMs = Date.now();
    const answer = await daemon.request('PUT', `/processes/${id}`, { operation: 'START', delayMs: 1500 });
    expect(answer.body.processes[0]).toMatchObject({ result: 'OK', state: 'WAITING' });
    const waiting = await daemon.process(id);
    expect(waiting).toMatchObject({ state: 'WAITING', runs: 0, pid: null });
    expect(Date.parse(waiting.nextReleaseAt)).toBeGreaterThanOrEqual(sentAtMs + 1500 - 1);
    const running = await waitFor('the delayed job', () => daemon.process(id), (p) => p.state === 'RUNNING');
    expect(Date.parse(running.startedAt)).toBeGreaterThanOrEqual(Date.parse(waiting.nextReleaseAt) - 1);
    expect(running).toMatchObject({ runs: 1, restarts: 0 });
    await daemon.operate(id, 'STOP');
  });

  it('PERIODIC: the grid begins at the delay (its first release there); sigma start --delay does the same', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'phased', type: 'PERIODIC', period: 60_000, command: ['true'] })).body.processes[0].id;
    const started = await runCli(['start', 'phased', '--delay', '1.2s'], { env: cliEnvFor(daemon) });
    expect(started.code, started.stderr).toBe(0);
    const waiting = await daemon.process(id);
    expect(waiting).toMatchObject({ state: 'WAITING', runs: 0 });
    const [run] = await waitFor('the first release', () => runsOf(daemon, id), (runs) => runs.length === 1);
    expect(run.releaseAt).toBe(waiting.nextReleaseAt);
    expect(Date.parse(run.startedAt)).toBeGreaterThanOrEqual(Date.parse(waiting.nextReleaseAt) - 1);
    const after = await daemon.process(id);
    expect(Date.parse(after.nextReleaseAt) - Date.parse(waiting.nextReleaseAt)).toBeGreaterThanOrEqual(60_000 - 1);
    await daemon.operate(id, 'STOP');
  });

  it('refuses delayMs with another operation, and a negative delay, changing nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'x', command: ['sleep', '300'] })).body.processes[0].id;
    const refused = await daemon.request('PUT', `/processes/${id}`, { operation: 'STOP', delayMs: 500 });
    expectError(refused, 400, 'SIGMA_ERR_REQUEST_INVALID');
    expect(refused.body.message).toMatch(/only for START/);
    expectError(await daemon.request('PUT', `/processes/${id}`, { operation: 'START', delayMs: -1 }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.request('PUT', `/processes/${id}`, { delayMs: 5 }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expect(await daemon.process(id)).toMatchObject({ state: 'DORMANT', runs: 0 });
  });
});
