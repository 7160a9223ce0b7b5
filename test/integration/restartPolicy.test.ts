// Restart policies with real jobs through the daemon: the backoff between restarts, the limit,
// `always` against `on-failure`, STOP and SUSPEND on a pending restart, and a restart of the daemon.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { openStream, parseEvents } from '../support/openStream.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

async function createdId(daemon: SigmaDaemon, definition: Record<string, unknown>): Promise<number> {
  const reply = await daemon.create(definition);
  expect(reply.status, reply.text).toBe(201);
  return reply.body.processes[0].id;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runsOf(daemon: SigmaDaemon, id: number): Promise<any[]> {
  const reply = await daemon.request('GET', `/processes/${id}/runs`);
  expect(reply.status).toBe(200);
  return reply.body.runs;
}

describe('on-failure with backoff and a limit', () => {
  it('restarts a failing job with a growing delay, then gives up: DORMANT, the limit in lastExit.error and in an event', async () => {
    const daemon = await SigmaDaemon.start();
    const stream = await openStream(`${daemon.url}/events`, daemon.token);
    const restart = { policy: 'on-failure', delayMs: 100, maxDelayMs: 400, limit: { count: 3, windowMs: 60_000 } };
    const id = await createdId(daemon, { name: 'crashy', command: ['sh', '-c', 'exit 3'], restart, state: 'RUNNING' });
    const message = 'restart limit reached: 3 restarts in 60 s';
    const gaveUp = await waitFor('sigma to give up', () => daemon.process(id), (p) => p.state === 'DORMANT' && p.lastExit?.error === message);
    expect(gaveUp).toMatchObject({ runs: 4, restarts: 3, failures: 4, lastExit: { code: 3 }, restart });

    const runs = (await runsOf(daemon, id)).reverse();
    expect(runs.map((run) => run.exitCode)).toEqual([3, 3, 3, 3]);
    const gapsMs = runs.slice(1).map((run, index) => Date.parse(run.startedAt) - Date.parse(runs[index].endedAt));
    // ISO times are whole milliseconds: a gap may read one short of its delay.
    gapsMs.forEach((gapMs, index) => expect(gapMs, `gap ${index + 1} (${gapsMs.join(', ')})`).toBeGreaterThanOrEqual([100, 200, 400][index]! - 1));

    const text = await stream.waitForText('the give-up event', (received) => received.includes(message));
    stream.close();
    const states = parseEvents(text).filter((event) => event.event === 'state' && event.data.processId === id);
    expect(states.at(-1)?.data).toMatchObject({ from: 'RUNNING', to: 'DORMANT', reason: message });
    expect(states.filter((event) => event.data.to === 'WAITING').map((event) => event.data.reason)).toEqual([
      'restart in 100 ms (on-failure)',
      'restart in 200 ms (on-failure)',
      'restart in 400 ms (on-failure)',
    ]);

    const metrics = await daemon.request('GET', '/metrics');
    expect(metrics.text).toContain(`sigma_restarts_total{process_id="${id}",name="crashy"} 3\n`);

    // START begins afresh: the next failure is restarted again.
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    await waitFor('a restart after the new START', () => daemon.process(id), (p) => p.restarts >= 4);
    expect((await daemon.operate(id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
  });

  it('always restarts a job that exits 0; on-failure does not', async () => {
    const daemon = await SigmaDaemon.start();
    const always = await createdId(daemon, { name: 'always', command: ['true'], restart: { policy: 'always', delayMs: 50 }, state: 'RUNNING' });
    const onFailure = await createdId(daemon, { name: 'on-failure', command: ['true'], restart: { policy: 'on-failure', delayMs: 50 }, state: 'RUNNING' });
    await waitFor('two restarts of `always`', () => daemon.process(always), (p) => p.restarts >= 2);
    const settled = await waitFor('`on-failure` to end', () => daemon.process(onFailure), (p) => p.state === 'DORMANT');
    expect(settled).toMatchObject({ runs: 1, restarts: 0, failures: 0, lastExit: { code: 0, error: null } });
    expect((await daemon.operate(always, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
  });
});

describe('a pending restart', () => {
  it('is WAITING with its time as nextReleaseAt; STOP cancels it', async () => {
    const daemon = await SigmaDaemon.start();
    const id = await createdId(daemon, { name: 'stopped', command: ['sh', '-c', 'exit 1'], restart: { policy: 'on-failure', delayMs: 2000 }, state: 'RUNNING' });
    const waiting = await waitFor('the restart to be pending', () => daemon.process(id), (p) => p.state === 'WAITING');
    expect(waiting.runs).toBe(1);
    // Both times are rounded to the millisecond on their own.
    expect(Math.abs(Date.parse(waiting.nextReleaseAt) - Date.parse(waiting.lastExit.at) - 2000)).toBeLessThanOrEqual(1);
    expect((await daemon.operate(id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    // Past the time the restart was due: nothing ran.
    await sleep(3000);
    expect(await daemon.process(id)).toMatchObject({ state: 'DORMANT', runs: 1, restarts: 0, nextReleaseAt: null });
  });

  it('SUSPEND holds it, RESUME arms it again', async () => {
    const daemon = await SigmaDaemon.start();
    const id = await createdId(daemon, { name: 'held', command: ['sh', '-c', 'exit 1'], restart: { policy: 'on-failure', delayMs: 2000 }, state: 'RUNNING' });
    const waiting = await waitFor('the restart to be pending', () => daemon.process(id), (p) => p.state === 'WAITING');
    expect(waiting.runs).toBe(1);
    expect((await daemon.operate(id, 'SUSPEND')).body.processes[0]).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    await sleep(3000);
    expect(await daemon.process(id)).toMatchObject({ state: 'SUSPENDEND', runs: 1, restarts: 0, nextReleaseAt: null });
    expect((await daemon.operate(id, 'RESUME')).body.processes[0]).toMatchObject({ result: 'OK', state: 'WAITING' });
    expect((await daemon.process(id)).nextReleaseAt).not.toBeNull();
    await waitFor('the restart after RESUME', () => daemon.process(id), (p) => p.restarts === 1 && p.runs === 2);
    await daemon.operate(id, 'STOP');
  });

  const restarts = NATIVE ? (['a clean stop', 'a killed daemon'] as const) : (['a clean stop'] as const);
  for (const how of restarts) {
    it(`survives a restart of the daemon (${how}), due when it was`, async () => {
      const first = await SigmaDaemon.start();
      const id = await createdId(first, { name: 'survivor', command: ['sh', '-c', 'exit 1'], restart: { policy: 'on-failure', delayMs: 4000 }, state: 'RUNNING' });
      const waiting = await waitFor('the restart to be pending', () => first.process(id), (p) => p.state === 'WAITING');
      if (how === 'a clean stop') expect(await first.stop()).toBe(0);
      else await first.kill();
      const second = await SigmaDaemon.start({ dataDir: first.dataDir });
      // A slow boot may find it due already; until then it waits for the time stored.
      const booted = await second.process(id);
      if (booted.restarts === 0) expect(booted).toMatchObject({ state: 'WAITING', nextReleaseAt: waiting.nextReleaseAt, restarts: 0 });
      const restarted = await waitFor('the restart', () => second.process(id), (p) => p.runs === 2);
      expect(restarted.restarts).toBe(1);
      const [latest] = await runsOf(second, id);
      expect(Date.parse(latest.startedAt)).toBeGreaterThanOrEqual(Date.parse(waiting.nextReleaseAt) - 1);
      await second.operate(id, 'STOP');
    });
  }
});

describe('definitions', () => {
  it('fills in the defaults, keeps the policy through PATCH, and takes null for none', async () => {
    const daemon = await SigmaDaemon.start();
    const id = await createdId(daemon, { name: 'defaults', command: ['true'], restart: { policy: 'on-failure' } });
    const defaults = { policy: 'on-failure', delayMs: 1000, maxDelayMs: 60_000, limit: { count: 5, windowMs: 60_000 } };
    expect(await daemon.process(id)).toMatchObject({ restart: defaults, restarts: 0 });
    const patched = await daemon.request('PATCH', `/processes/${id}`, { command: ['false'] });
    expect(patched.body.processes[0].restart).toEqual(defaults);
    const cleared = await daemon.request('PATCH', `/processes/${id}`, { restart: null });
    expect(cleared.body.processes[0].restart).toBeNull();
    const never = await daemon.create({ name: 'never', command: ['true'], restart: { policy: 'never' } });
    expect(never.body.processes[0].restart).toBeNull();
  });

  it('refuses a restart policy on a PERIODIC process, a bad policy, and a delay above its maximum, changing nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const periodic = await daemon.create({ name: 'tick', type: 'PERIODIC', period: 1000, command: ['true'], restart: { policy: 'always' } });
    expectError(periodic, 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect(periodic.body.message).toMatch(/only for ONE_SHOT.*next release/);
    expectError(await daemon.create({ name: 'bad', command: ['true'], restart: { policy: 'sometimes' } }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.create({ name: 'bad', command: ['true'], restart: { delayMs: 10 } }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    const inverted = await daemon.create({ name: 'bad', command: ['true'], restart: { policy: 'always', delayMs: 500, maxDelayMs: 100 } });
    expectError(inverted, 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect(inverted.body.message).toMatch(/delayMs.*maxDelayMs/);
    const id = await createdId(daemon, { name: 'tock', type: 'PERIODIC', period: 1000, command: ['true'] });
    expectError(await daemon.request('PATCH', `/processes/${id}`, { restart: { policy: 'on-failure' } }), 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect((await daemon.request('GET', '/processes')).body.processes.map((p: { name: string }) => p.name)).toEqual(['tock']);
    expect((await daemon.process(id)).restart).toBeNull();
  });
});
