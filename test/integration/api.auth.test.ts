// The API's front door: /health without a token, 401 everywhere else without the node token
// (unknown routes, /openapi.json and /docs included), Basic auth on /docs, 404 for unknown routes.
import { afterEach, describe, expect, it } from 'vitest';
import { errorMismatch, expectError, processesText } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon, TEST_TOKEN } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Every kind of route: the contract's, the documentation's, and routes that do not exist. */
const GUARDED: ReadonlyArray<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/processes' },
  { method: 'GET', path: '/processes?process_name=kept' },
  { method: 'POST', path: '/processes', body: { name: 'intruder', command: ['sleep', '300'] } },
  { method: 'GET', path: '/processes/1' },
  { method: 'PUT', path: '/processes/1', body: { operation: 'START' } },
  { method: 'DELETE', path: '/processes/1' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/docs' },
  { method: 'GET', path: '/docs/static/index.html' },
  { method: 'GET', path: '/no/such/route' },
  { method: 'POST', path: '/no/such/route', body: {} },
];

const BAD_CREDENTIALS: ReadonlyArray<{ label: string; authorization: string; code: string }> = [
  { label: 'no token', authorization: '', code: 'SIGMA_ERR_AUTH_MISSING' },
  { label: 'a wrong bearer token', authorization: 'Bearer not-the-node-token-0000', code: 'SIGMA_ERR_AUTH_INVALID' },
  { label: 'a wrong Basic password', authorization: basic('admin', 'not-the-node-token-0000'), code: 'SIGMA_ERR_AUTH_INVALID' },
  { label: 'the right token followed by junk', authorization: `Bearer ${TEST_TOKEN} junk`, code: 'SIGMA_ERR_AUTH_INVALID' },
  { label: 'the right token under an unknown scheme', authorization: `Token ${TEST_TOKEN}`, code: 'SIGMA_ERR_AUTH_INVALID' },
];

describe('authentication', () => {
  it('answers GET /health 200 {"status":"ok","leftoverJobs":0} without a token (and with a wrong one)', async () => {
    const daemon = await SigmaDaemon.start();
    for (const authorization of ['', 'Bearer not-the-node-token-0000']) {
      const reply = await daemon.request('GET', '/health', undefined, { authorization });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.body).toEqual({ status: 'ok', leftoverJobs: 0 });
    }
  });

  it('answers 401 with WWW-Authenticate on every other route without the node token, and changes nothing', async () => {
    const daemon = await SigmaDaemon.start();
    expect((await daemon.create({ name: 'kept', command: ['sleep', '300'] })).status).toBe(201);
    const before = await processesText(daemon);

    const problems: string[] = [];
    for (const { method, path, body } of GUARDED) {
      for (const { label, authorization, code } of BAD_CREDENTIALS) {
        const reply = await daemon.request(method, path, body, { authorization });
        const mismatch = errorMismatch(reply, 401, code);
        if (mismatch) problems.push(`${method} ${path} with ${label}: ${mismatch}`);
        if (!reply.headers['www-authenticate']) problems.push(`${method} ${path} with ${label}: no WWW-Authenticate header`);
      }
    }
    expect(problems).toEqual([]);
    expect(await processesText(daemon)).toBe(before);
  });

  it('accepts HTTP Basic with the token as password, any user name, on /docs', async () => {
    const daemon = await SigmaDaemon.start();
    for (const user of ['admin', 'someone-else', '']) {
      const reply = await daemon.request('GET', '/docs', undefined, { authorization: basic(user, daemon.token) });
      expect(reply.status, `user "${user}": ${reply.text.slice(0, 200)}`).toBeLessThan(400);
    }
  });

  it('asks a browser for Basic credentials on /docs', async () => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.request('GET', '/docs', undefined, { authorization: '' });
    expectError(reply, 401, 'SIGMA_ERR_AUTH_MISSING');
    expect(reply.headers['www-authenticate']).toMatch(/^Basic /);
  });
});

// A known path with a method it is not served with is a 405: api.httpConventions.test.ts.
describe('unknown routes', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/process'],
    ['POST', '/nope'],
    ['GET', '/processes/1/nope'],
    ['DELETE', '/events/1'],
  ])('answers %s %s with 404 SIGMA_ERR_ROUTE_NOT_FOUND (with the token)', async (method, path) => {
    const daemon = await SigmaDaemon.start();
    expect((await daemon.create({ name: 'kept', command: ['sleep', '300'] })).status).toBe(201);
    const before = await processesText(daemon);
    expectError(await daemon.request(method, path), 404, 'SIGMA_ERR_ROUTE_NOT_FOUND');
    expect(await processesText(daemon)).toBe(before);
  });
});
