// The node's limits (each a flag, with a 4xx past it), slowed-down token guessing, owner-only
// files, and the audit trail of every request that changes something.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

describe('limits', () => {
  it('refuses a process past --max-processes with 409, and takes one again after a DELETE', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-processes', '2'] });
    const first = (await daemon.create({ name: 'one', command: ['true'] })).body.processes[0].id;
    expect((await daemon.create({ name: 'two', command: ['true'] })).status).toBe(201);
    const before = (await daemon.request('GET', '/processes')).text;
    expectError(await daemon.create({ name: 'three', command: ['true'] }), 409, 'SIGMA_ERR_PROCESS_LIMIT');
    expect((await daemon.request('GET', '/processes')).text).toBe(before);
    expect((await daemon.request('DELETE', `/processes/${first}`)).status).toBe(204);
    expect((await daemon.create({ name: 'three', command: ['true'] })).status).toBe(201);
  });

  it('refuses a command and env larger than --max-definition-bytes with 400, on create and on update', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-definition-bytes', '1024'] });
    const reply = await daemon.create({ name: 'big', command: ['echo', 'x'.repeat(1100)] });
    expectError(reply, 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect(reply.body.message).toMatch(/--max-definition-bytes/);
    const id = (await daemon.create({ name: 'small', command: ['echo', 'x'.repeat(500)] })).body.processes[0].id;
    const before = (await daemon.request('GET', `/processes/${id}`)).text;
    expectError(await daemon.request('PATCH', `/processes/${id}`, { env: { BIG: 'y'.repeat(600) } }), 400, 'SIGMA_ERR_PROCESS_INVALID');
    expect((await daemon.request('GET', `/processes/${id}`)).text).toBe(before);
  });

  it('refuses a body larger than --max-body-bytes with 413', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-body-bytes', '2048'] });
    expectError(await daemon.create({ name: 'padded', command: ['echo', 'z'.repeat(3000)] }), 413, 'SIGMA_ERR_REQUEST_TOO_LARGE');
    expect((await daemon.request('GET', '/processes')).body.processes).toEqual([]);
  });

  it('refuses a flag value out of range at start, with exit status 2', async () => {
    await expect(SigmaDaemon.start({ args: ['--max-processes', '0'] })).rejects.toThrow(/exited 2: .*--max-processes must be between/s);
  });
});

describe('guessing the token', () => {
  it('slows down refusals past --auth-failures-per-minute and answers them 429, while the right token still passes', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--auth-failures-per-minute', '3'] });
    for (let i = 0; i < 3; i += 1) expectError(await daemon.request('GET', '/processes', undefined, { authorization: 'Bearer wrong' }), 401, 'SIGMA_ERR_AUTH_INVALID');
    const throttled = await daemon.request('GET', '/processes', undefined, { authorization: 'Bearer wrong' });
    expectError(throttled, 429, 'SIGMA_ERR_AUTH_THROTTLED');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expectError(await daemon.request('GET', '/processes', undefined, { authorization: '' }), 429, 'SIGMA_ERR_AUTH_THROTTLED');
    expect((await daemon.request('GET', '/processes')).status).toBe(200);
  });
});

describe('files on disk', () => {
  it('are readable by their owner only: the data dir, store, token, key, daemon.json and logs', async () => {
    const daemon = await SigmaDaemon.start({ tls: true, withToken: false });
    await daemon.create({ name: 'talker', command: ['echo', 'hi'], state: 'RUNNING' });
    await daemon.request('GET', '/processes');
    const mode = (path: string): number => statSync(join(daemon.dataDir, path)).mode & 0o777;
    expect(mode('.')).toBe(0o700);
    for (const file of ['sigma.db', 'token', 'tls/key.pem', 'daemon.json']) expect(mode(file), file).toBe(0o600);
    for (const file of readdirSync(join(daemon.dataDir))) {
      if (file.startsWith('sigma.db')) expect(mode(file), file).toBe(0o600);
    }
    for (const file of readdirSync(join(daemon.dataDir, 'logs'))) expect(mode(`logs/${file}`), file).toBe(0o600);
  });
});

describe('audit trail', () => {
  it('records every request that changes something, refused ones included, newest first, across restarts', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'audited', command: ['sleep', '300'] })).body.processes[0].id;
    await daemon.operate(id, 'START');
    await daemon.operate(id, 'STOP');
    await daemon.operate(id, 'RESUME');
    await daemon.request('PUT', '/processes/999', { operation: 'START' });
    await daemon.request('GET', `/processes/${id}`);
    await daemon.request('DELETE', `/processes/${id}`);
    await daemon.request('POST', '/processes', { name: 'audited-2' }, { authorization: 'Bearer wrong' });
    const reply = await daemon.request('GET', '/audit');
    expect(reply.status).toBe(200);
    const rows = reply.body.audit.map((entry: any) => [entry.method, entry.path, entry.processId, entry.status, entry.outcome]);
    // The request with a wrong token is not kept (anyone could fill the trail with such).
    expect(rows).toEqual([
      ['DELETE', `/processes/${id}`, id, 204, 'DELETED'],
      ['PUT', '/processes/999', 999, 404, 'SIGMA_ERR_PROCESS_NOT_FOUND'],
      ['PUT', `/processes/${id}`, id, 200, expect.stringMatching(/^FAILED: /)],
      ['PUT', `/processes/${id}`, id, 200, 'OK'],
      ['PUT', `/processes/${id}`, id, 200, 'OK'],
      ['POST', '/processes', id, 201, 'CREATED'],
    ]);
    for (const entry of reply.body.audit) {
      expect(entry.address).toBe('127.0.0.1');
      expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
    }
    expect(await daemon.stop()).toBe(0);
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    const ofProcess = (await again.request('GET', `/audit?processId=${id}&limit=2`)).body.audit;
    expect(ofProcess.map((entry: any) => entry.outcome)).toEqual(['DELETED', expect.stringMatching(/^FAILED: /)]);
    expectError(await again.request('GET', '/audit', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
    expectError(await again.request('GET', '/audit?limit=0'), 400, 'SIGMA_ERR_REQUEST_INVALID');
  });
});
