// PUT /processes/{id} (the operations and their results) and DELETE /processes/{id}.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, processesText, refusalProblems } from '../support/apiChecks.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const SLEEP = ['sleep', '300'];

async function createOk(daemon: SigmaDaemon, definition: Record<string, unknown>): Promise<{ id: number; name: string; pid: number | null }> {
  const reply = await daemon.create(definition);
  expect(reply.status, reply.text).toBe(201);
  const created = reply.body.processes[0];
  if (created.pid) trackJobGroup(created.pid);
  return created;
}

const put = (daemon: SigmaDaemon, id: number | string, body: unknown, headers?: Record<string, string>) =>
  daemon.request('PUT', `/processes/${id}`, body, headers);

describe('PUT /processes/{id}', () => {
  it('performs START, SUSPEND, RESUME and STOP: 200 {"processes":[{id,name,state,result}]}', async () => {
    const daemon = await SigmaDaemon.start();
    const { id, name } = await createOk(daemon, { name: 'worker', command: SLEEP });

    const steps: Array<[Record<string, string>, string]> = [
      [{ operation: 'START' }, 'RUNNING'],
      [{ operation: 'SUSPEND' }, 'SUSPENDEND'],
      [{ operation: 'RESUME' }, 'RUNNING'],
      [{ operation: 'STOP' }, 'DORMANT'],
      [{ type: 'START' }, 'RUNNING'],
      [{ type: 'STOP' }, 'DORMANT'],
    ];
    for (const [body, state] of steps) {
      const reply = await put(daemon, id, body);
      expect(reply.status, `${JSON.stringify(body)}: ${reply.text}`).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.body, JSON.stringify(body)).toEqual({ processes: [{ id, name, state, result: 'OK' }] });

      const process = await daemon.process(id);
      expect(process.state).toBe(state);
      if (state === 'RUNNING') expect(isAlive(process.pid)).toBe(true);
      if (state === 'SUSPENDEND') expect(procState(process.pid)).toBe('T');
    }
  });

  it('ends the job on STOP', async () => {
    const daemon = await SigmaDaemon.start();
    const { id, pid } = await createOk(daemon, { name: 'worker', command: SLEEP, state: 'RUNNING' });
    expect((await put(daemon, id, { operation: 'STOP' })).body.processes[0]).toMatchObject({ state: 'DORMANT', result: 'OK' });
    await waitFor(`the job ${pid} to be gone`, () => procState(pid as number), (state) => state === null, 5000);
    expect((await daemon.process(id)).pid).toBeNull();
  });

  it('answers SUSPEND and RESUME of a DORMANT process with 200 FAILED and a reason, and changes nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const { id, name } = await createOk(daemon, { name: 'idle', command: SLEEP });
    for (const operation of ['SUSPEND', 'RESUME']) {
      const before = await processesText(daemon);
      const reply = await put(daemon, id, { operation });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ processes: [{ id, name, state: 'DORMANT', result: 'FAILED', reason: expect.any(String) }] });
      expect(reply.body.processes[0].reason, 'a reason is given').not.toBe('');
      expect(await processesText(daemon)).toBe(before);
    }
  });

  it('refuses a bad operation request with 400, an unknown id with 404, and changes nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const { id } = await createOk(daemon, { name: 'worker', command: SLEEP, state: 'RUNNING' });
    await createOk(daemon, { name: 'idle', command: SLEEP });
    const invalid = 'SIGMA_ERR_REQUEST_INVALID';
    const cases: Array<[string, number | string, unknown, number, string, Record<string, string>?]> = [
      ['both operation and type', id, { operation: 'STOP', type: 'STOP' }, 400, invalid],
      ['no key', id, {}, 400, invalid],
      ['operation JUMP', id, { operation: 'JUMP' }, 400, invalid],
      ['type JUMP', id, { type: 'JUMP' }, 400, invalid],
      ['operation in lower case', id, { operation: 'stop' }, 400, invalid],
      ['an extra key', id, { operation: 'STOP', force: true }, 400, invalid],
      ['non-JSON', id, 'STOP', 400, invalid],
      ['a JSON string', id, '"STOP"', 400, invalid],
      ['an empty body', id, '', 400, invalid],
      ['no body at all', id, undefined, 400, invalid],
      ['text/plain', id, '{"operation":"STOP"}', 415, 'SIGMA_ERR_REQUEST_CONTENT_TYPE', { 'content-type': 'text/plain' }],
      ['a body over 64 KiB', id, { operation: 'STOP', pad: 'x'.repeat(70_000) }, 413, 'SIGMA_ERR_REQUEST_TOO_LARGE'],
      ['id abc', 'abc', { operation: 'STOP' }, 400, invalid],
      ['id 0', '0', { operation: 'STOP' }, 400, invalid],
      ['id -1', '-1', { operation: 'STOP' }, 400, invalid],
      ['id 1.5', '1.5', { operation: 'STOP' }, 400, invalid],
      ['an unknown id', 999_999, { operation: 'STOP' }, 404, 'SIGMA_ERR_PROCESS_NOT_FOUND'],
    ];
    const problems: string[] = [];
    for (const [label, target, body, status, code, headers] of cases) {
      problems.push(...(await refusalProblems(daemon, label, () => put(daemon, target, body, headers), status, code)));
    }
    expect(problems).toEqual([]);
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
  });
});

describe('DELETE /processes/{id}', () => {
  it('answers 204 with an empty body; the process is gone, a second DELETE is 404', async () => {
    const daemon = await SigmaDaemon.start();
    const { id } = await createOk(daemon, { name: 'doomed', command: SLEEP });
    const kept = await createOk(daemon, { name: 'kept', command: SLEEP });
    const keptBefore = await daemon.request('GET', `/processes/${kept.id}`);

    const reply = await daemon.request('DELETE', `/processes/${id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');

    expectError(await daemon.request('GET', `/processes/${id}`), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expectError(await daemon.request('GET', '/processes?process_name=doomed'), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expectError(await put(daemon, id, { operation: 'START' }), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expectError(await daemon.request('DELETE', `/processes/${id}`), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expect((await daemon.request('GET', '/processes')).body.processes.map((p: { name: string }) => p.name)).toEqual(['kept']);
    expect((await daemon.request('GET', `/processes/${kept.id}`)).text).toBe(keptBefore.text);
  });

  it.each([
    ['RUNNING', []],
    ['SUSPENDEND', ['SUSPEND']],
  ])('ends the job of a %s process first: its pid is gone from /proc when the 204 arrives', async (state, operations) => {
    const daemon = await SigmaDaemon.start();
    const { id, pid } = await createOk(daemon, { name: 'live', command: SLEEP, state: 'RUNNING' });
    for (const operation of operations) expect((await daemon.operate(id, operation)).body.processes[0].result).toBe('OK');
    expect((await daemon.process(id)).state).toBe(state);
    expect(isAlive(pid as number)).toBe(true);

    const reply = await daemon.request('DELETE', `/processes/${id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(procState(pid as number), `pid ${pid} in /proc`).toBeNull();
    expectError(await daemon.request('GET', `/processes/${id}`), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
  });

  it('accepts a client that sends Content-Type: application/json with no body on GET and DELETE', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'typed', command: ['true'] })).body.processes[0].id;
    const json = { 'content-type': 'application/json' };
    expect((await daemon.request('GET', `/processes/${id}`, undefined, json)).status).toBe(200);
    const deleted = await daemon.request('DELETE', `/processes/${id}`, undefined, json);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
  });

  it('answers 404 for an unknown id and 400 for a malformed one, and changes nothing', async () => {
    const daemon = await SigmaDaemon.start();
    await createOk(daemon, { name: 'kept', command: SLEEP });
    const cases: Array<[string, number, string]> = [
      ['999999', 404, 'SIGMA_ERR_PROCESS_NOT_FOUND'],
      ['abc', 400, 'SIGMA_ERR_REQUEST_INVALID'],
      ['0', 400, 'SIGMA_ERR_REQUEST_INVALID'],
      ['-1', 400, 'SIGMA_ERR_REQUEST_INVALID'],
      ['1.5', 400, 'SIGMA_ERR_REQUEST_INVALID'],
    ];
    const problems: string[] = [];
    for (const [id, status, code] of cases) {
      problems.push(...(await refusalProblems(daemon, `DELETE ${id}`, () => daemon.request('DELETE', `/processes/${id}`), status, code)));
    }
    expect(problems).toEqual([]);
  });
});
