// PATCH /processes/{id}: a DORMANT process's definition changes; anything else is refused unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const patch = (daemon: SigmaDaemon, id: number, body: unknown) => daemon.request('PATCH', `/processes/${id}`, body);

describe('updating a definition', () => {
  it('changes what a DORMANT process runs; the next START runs the new command with the new env and cwd', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'greeter', command: ['echo', 'old'], env: { KEEP: 'no' } })).body.processes[0].id;
    const reply = await patch(daemon, id, { command: ['sh', '-c', 'echo "$WORD from $(pwd)"'], env: { WORD: 'new' }, cwd: '/tmp', stopTimeoutMs: 100 });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.processes[0]).toMatchObject({
      id,
      name: 'greeter',
      state: 'DORMANT',
      command: ['sh', '-c', 'echo "$WORD from $(pwd)"'],
      env: { WORD: 'new' },
      cwd: '/tmp',
      stopTimeoutMs: 100,
    });
    expect(await daemon.process(id)).toEqual(reply.body.processes[0]);
    await daemon.operate(id, 'START');
    await waitFor('the new output', async () => (await daemon.request('GET', `/processes/${id}/logs`)).text, (text) => text === 'new from /tmp\n');
    expect((await patch(daemon, id, { cwd: null })).body.processes[0].cwd).toBeNull();
  });

  it('turns a ONE_SHOT process PERIODIC with a period, and back (dropping the period)', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'shape', command: ['true'] })).body.processes[0].id;
    expectError(await patch(daemon, id, { type: 'PERIODIC' }), 400, 'SIGMA_ERR_PROCESS_INVALID');
    expectError(await patch(daemon, id, { period: 100 }), 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect((await patch(daemon, id, { type: 'PERIODIC', period: 100 })).body.processes[0]).toMatchObject({ type: 'PERIODIC', period: 100 });
    expect((await patch(daemon, id, { period: 250 })).body.processes[0]).toMatchObject({ type: 'PERIODIC', period: 250 });
    expect((await patch(daemon, id, { type: 'ONE_SHOT' })).body.processes[0]).toMatchObject({ type: 'ONE_SHOT', period: null });
  });

  it('refuses a process that is not DORMANT with 409, changing nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'busy', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id;
    const before = (await daemon.request('GET', `/processes/${id}`)).text;
    const reply = await patch(daemon, id, { command: ['true'] });
    expectError(reply, 409, 'SIGMA_ERR_PROCESS_NOT_DORMANT');
    expect(reply.body.message).toMatch(/RUNNING.*STOP/);
    expect((await daemon.request('GET', `/processes/${id}`)).text).toBe(before);
    await daemon.operate(id, 'SUSPEND');
    expectError(await patch(daemon, id, { command: ['true'] }), 409, 'SIGMA_ERR_PROCESS_NOT_DORMANT');
    await daemon.operate(id, 'STOP');
  });

  it('refuses bad bodies with 400 and unknown processes with 404, changing nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'fixed', command: ['true'] })).body.processes[0].id;
    const before = (await daemon.request('GET', '/processes')).text;
    for (const body of [{}, { name: 'renamed' }, { state: 'RUNNING' }, { command: [] }, { command: [''] }, { period: 0 }, { env: { 'BAD-NAME': 'x' } }, { cwd: 'relative' }, { stopTimeoutMs: -1 }, '[]', 'null']) {
      const reply = await patch(daemon, id, body);
      expect(reply.status, `${JSON.stringify(body)}: ${reply.text}`).toBe(400);
    }
    expectError(await patch(daemon, 999, { command: ['true'] }), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expect((await daemon.request('GET', '/processes')).text).toBe(before);
  });

  it('keeps the new definition across a restart', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'durable', command: ['true'] })).body.processes[0].id;
    const updated = (await patch(daemon, id, { type: 'PERIODIC', period: 500, command: ['echo', 'hi'], env: { A: '1' } })).body.processes[0];
    expect(await daemon.stop()).toBe(0);
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    expect(await again.process(id)).toEqual(updated);
  });
});
