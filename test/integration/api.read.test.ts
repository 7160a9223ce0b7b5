// GET /processes (order, process_name, state and type filters) and GET /processes/{id}.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, processesText, refusalProblems } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const SLEEP = ['sleep', '300'];

async function createOk(daemon: SigmaDaemon, definition: Record<string, unknown>): Promise<{ id: number; pid: number | null }> {
  const reply = await daemon.create(definition);
  expect(reply.status, reply.text).toBe(201);
  const created = reply.body.processes[0];
  if (created.pid) trackJobGroup(created.pid);
  return created;
}

async function list(daemon: SigmaDaemon, query = ''): Promise<Array<{ id: number; name: string; state: string; type: string }>> {
  const reply = await daemon.request('GET', `/processes${query}`);
  expect(reply.status, `GET /processes${query}: ${reply.text}`).toBe(200);
  expect(Object.keys(reply.body)).toEqual(['processes']);
  return reply.body.processes;
}

const names = (processes: Array<{ name: string }>): string[] => processes.map((process) => process.name);

describe('GET /processes', () => {
  it('answers {"processes":[]} on a new node', async () => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.request('GET', '/processes');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ processes: [] });
  });

  it('lists every process ordered by id', async () => {
    const daemon = await SigmaDaemon.start();
    for (const name of ['zulu', 'alpha', 'mike']) await createOk(daemon, { name, command: SLEEP });
    const [, alpha] = await list(daemon);
    expect((await daemon.request('DELETE', `/processes/${alpha?.id}`)).status).toBe(204);
    await createOk(daemon, { name: 'bravo', command: SLEEP });

    const processes = await list(daemon);
    expect(names(processes)).toEqual(['zulu', 'mike', 'bravo']);
    const ids = processes.map((process) => process.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('with process_name answers exactly that process, or 404 SIGMA_ERR_PROCESS_NOT_FOUND', async () => {
    const daemon = await SigmaDaemon.start();
    for (const name of ['motor', 'motors', 'mo.tor']) await createOk(daemon, { name, command: SLEEP });
    const all = await list(daemon);
    for (const process of all) expect(await list(daemon, `?process_name=${process.name}`)).toEqual([process]);

    for (const missing of ['moto', 'MOTOR', 'ghost']) {
      expectError(await daemon.request('GET', `/processes?process_name=${missing}`), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    }
  });

  it('filters by state (SUSPENDED accepted for SUSPENDEND) and by type', async () => {
    const daemon = await SigmaDaemon.start();
    await createOk(daemon, { name: 'idle', command: SLEEP });
    await createOk(daemon, { name: 'periodic', command: SLEEP, type: 'PERIODIC', period: 3_600_000 });
    const running = await createOk(daemon, { name: 'running', command: SLEEP, state: 'RUNNING' });
    const paused = await createOk(daemon, { name: 'paused', command: SLEEP, state: 'RUNNING' });
    const suspend = await daemon.operate(paused.id, 'SUSPEND');
    expect(suspend.body.processes[0]).toMatchObject({ state: 'SUSPENDEND', result: 'OK' });

    const cases: Array<[string, string[]]> = [
      ['?state=DORMANT', ['idle', 'periodic']],
      ['?state=RUNNING', ['running']],
      ['?state=SUSPENDEND', ['paused']],
      ['?state=SUSPENDED', ['paused']],
      ['?state=WAITING', []],
      ['?state=READY', []],
      ['?type=PERIODIC', ['periodic']],
      ['?type=ONE_SHOT', ['idle', 'running', 'paused']],
      ['?state=DORMANT&type=ONE_SHOT', ['idle']],
    ];
    for (const [query, expected] of cases) expect(names(await list(daemon, query)), query).toEqual(expected);

    for (const id of [running.id, paused.id]) expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
  });

  it('is sent with a length, the same text as each process read alone, and shows a change at the next read', async () => {
    const daemon = await SigmaDaemon.start();
    const ids: number[] = [];
    // About 160 KB of answer, with text that JSON escapes and that UTF-8 makes longer.
    for (let i = 0; i < 20; i += 1) {
      const env = { BULK: `${'é'.repeat(2000)}${'x'.repeat(4000)}`, QUOTE: '"\\\n\u0001' };
      ids.push((await createOk(daemon, { name: `bulk-${i}`, command: ['true'], env, cwd: '/tmp' })).id);
    }
    ids.push((await createOk(daemon, { name: 'ticking', command: SLEEP, type: 'PERIODIC', period: 3_600_000, state: 'RUNNING' })).id);
    const reply = await daemon.request('GET', '/processes');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['transfer-encoding']).toBeUndefined();
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.text)));
    const alone = [];
    for (const id of ids) alone.push((await daemon.request('GET', `/processes/${id}`)).body.processes[0]);
    expect(reply.text).toBe(`${JSON.stringify({ processes: alone })}\n`);
    expect((await daemon.request('GET', '/processes?type=PERIODIC')).text).toBe(`${JSON.stringify({ processes: alone.slice(-1) })}\n`);
    // Read again unchanged: the same bytes; after a change of one process, the change.
    expect((await daemon.request('GET', '/processes')).text).toBe(reply.text);
    expect((await daemon.request('PATCH', `/processes/${ids[3]}`, { env: { A: '1' } })).status).toBe(200);
    const changed = await daemon.request('GET', '/processes');
    expect(changed.body.processes[3].env).toEqual({ A: '1' });
    expect(changed.headers.etag).not.toBe(reply.headers.etag);
    expect((await daemon.request('DELETE', `/processes/${ids.at(-1)}`)).status).toBe(204);
    expect((await list(daemon)).map((process) => process.id)).toEqual(ids.slice(0, -1));
  });

  it('is sent in chunks, the same text as each process read alone, for a list over 8 MiB', async () => {
    const definitionBytes = String(4 * 1024 * 1024);
    const daemon = await SigmaDaemon.start({ args: ['--max-body-bytes', definitionBytes, '--max-definition-bytes', definitionBytes] });
    const ids: number[] = [];
    // 3 x 48 x 30,000 characters of 2 bytes each: 8.6 MB.
    const env = Object.fromEntries(Array.from({ length: 48 }, (_, index) => [`BULK_${index}`, 'é'.repeat(30_000)]));
    for (let i = 0; i < 3; i += 1) ids.push((await createOk(daemon, { name: `huge-${i}`, command: ['true'], env })).id);
    const reply = await daemon.request('GET', '/processes');
    expect(reply.status).toBe(200);
    expect(Buffer.byteLength(reply.text)).toBeGreaterThan(8 * 1024 * 1024);
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.headers['content-length']).toBeUndefined();
    const alone = [];
    for (const id of ids) alone.push((await daemon.request('GET', `/processes/${id}`)).body.processes[0]);
    expect(reply.text).toBe(`${JSON.stringify({ processes: alone })}\n`);
    const again = await daemon.request('GET', '/processes', undefined, { 'if-none-match': String(reply.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('refuses an unknown state or type with 400 SIGMA_ERR_REQUEST_INVALID', async () => {
    const daemon = await SigmaDaemon.start();
    await createOk(daemon, { name: 'idle', command: SLEEP });
    const problems: string[] = [];
    for (const query of ['?state=SLEEPING', '?state=dormant', '?state=', '?type=CRON']) {
      const send = () => daemon.request('GET', `/processes${query}`);
      problems.push(...(await refusalProblems(daemon, query, send, 400, 'SIGMA_ERR_REQUEST_INVALID')));
    }
    expect(problems).toEqual([]);
  });
});

describe('GET /processes/{id}', () => {
  it('answers {"processes":[process]}, the same as in the list', async () => {
    const daemon = await SigmaDaemon.start();
    await createOk(daemon, { name: 'first', command: SLEEP });
    const second = await createOk(daemon, { name: 'second', command: ['true'], env: { A: 'b' } });
    const reply = await daemon.request('GET', `/processes/${second.id}`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ processes: [(await list(daemon))[1]] });
  });

  it('answers 404 SIGMA_ERR_PROCESS_NOT_FOUND for an unknown id', async () => {
    const daemon = await SigmaDaemon.start();
    const { id } = await createOk(daemon, { name: 'only', command: SLEEP });
    for (const unknown of [id + 1, 999_999]) {
      expectError(await daemon.request('GET', `/processes/${unknown}`), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    }
  });

  it('answers 400 SIGMA_ERR_REQUEST_INVALID for an id that is not a positive integer in plain decimal, on every route with one', async () => {
    const daemon = await SigmaDaemon.start();
    await createOk(daemon, { name: 'only', command: SLEEP });
    const before = await processesText(daemon);
    // Process 1 exists: an id that merely converts to 1 must still be refused.
    await daemon.request('POST', '/partitions/default/tokens', {});
    for (const id of ['abc', '0', '-1', '1.5', '01', '+1', '1e0', '0x1', '%201', '99999999999999999']) {
      // every route with an id in its path, the token's too (token 1 exists)
      for (const path of [`/processes/${id}`, `/processes/${id}/runs`, `/processes/${id}/logs`]) {
        expectError(await daemon.request('GET', path), 400, 'SIGMA_ERR_REQUEST_INVALID');
      }
      expectError(await daemon.request('DELETE', `/partitions/default/tokens/${id}`), 400, 'SIGMA_ERR_REQUEST_INVALID');
    }
    expect(await processesText(daemon)).toBe(before);
  });
});
