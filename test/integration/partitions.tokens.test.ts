// Partition tokens on every documented route: what a token of partition "mine" may do there,
// what it is refused (403 for what only the node token may do), and what it cannot see (404,
// as for what does not exist). The table must classify every route of the OpenAPI document, so
// a route added later fails here until its scope is decided.
import { afterEach, describe, expect, it } from 'vitest';
import { errorMismatch } from '../support/apiChecks.js';
import { documentedOperations } from '../support/openApiArbitraries.js';
import { openStream, parseEvents } from '../support/openStream.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

type Target = { id: number; name: string; tokenId: number };
/** How a route answers a token of "mine": on its own things, and on those of partition "theirs". */
type Scope =
  | { kind: 'node-only' }
  | { kind: 'confined'; body?: (target: Target) => unknown; own: number; other: number; otherCode: string }
  | { kind: 'stream' };

const processRoute = (own: number, body?: (target: Target) => unknown): Scope => ({ kind: 'confined', own, other: 404, otherCode: 'SIGMA_ERR_PROCESS_NOT_FOUND', ...(body ? { body } : {}) });
const partitionRoute = (own: number, body?: (target: Target) => unknown): Scope => ({ kind: 'confined', own, other: 404, otherCode: 'SIGMA_ERR_PARTITION_NOT_FOUND', ...(body ? { body } : {}) });

const SCOPES: Record<string, Scope> = {
  'GET /processes': { kind: 'confined', own: 200, other: 404, otherCode: 'SIGMA_ERR_PARTITION_NOT_FOUND' },
  'POST /processes': { kind: 'confined', own: 201, other: 403, otherCode: 'SIGMA_ERR_OUT_OF_SCOPE', body: (t) => ({ name: `made-in-${t.name}`, partition: t.name, command: ['true'] }) },
  'GET /processes/{id}': processRoute(200),
  'PUT /processes/{id}': processRoute(200, () => ({ operation: 'STOP' })),
  'PATCH /processes/{id}': processRoute(200, () => ({ env: { CHANGED: '1' } })),
  'DELETE /processes/{id}': processRoute(204),
  'GET /processes/{id}/runs': processRoute(200),
  'GET /processes/{id}/logs': processRoute(200),
  'GET /partitions': { kind: 'confined', own: 200, other: 200, otherCode: '' },
  'GET /partitions/{name}': partitionRoute(200),
  'PUT /partitions/{name}': partitionRoute(200, () => ({ operation: 'STOP' })),
  'POST /partitions': { kind: 'node-only' },
  'DELETE /partitions/{name}': { kind: 'node-only' },
  'POST /partitions/{name}/tokens': { kind: 'node-only' },
  'GET /partitions/{name}/tokens': { kind: 'node-only' },
  'DELETE /partitions/{name}/tokens/{tokenId}': { kind: 'node-only' },
  'GET /metrics': { kind: 'node-only' },
  'GET /audit': { kind: 'node-only' },
  'GET /node': { kind: 'node-only' },
  'GET /nodes': { kind: 'node-only' },
  'GET /events': { kind: 'stream' },
  'GET /openapi.json': { kind: 'confined', own: 200, other: 200, otherCode: '' },
};

const filled = (path: string, target: Target): string =>
  path.replace('{id}', String(target.id)).replace('{name}', target.name).replace('{tokenId}', String(target.tokenId));

/** Two partitions with a process each, and a token of each; `mine` is the token under test. */
async function twoPartitions(daemon: SigmaDaemon): Promise<{ mine: Target; theirs: Target; token: string }> {
  const targets: Target[] = [];
  let token = '';
  for (const name of ['mine', 'theirs']) {
    expect((await daemon.request('POST', '/partitions', { name })).status).toBe(201);
    const made = await daemon.request('POST', `/partitions/${name}/tokens`, { label: `${name} ops` });
    expect(made.status, made.text).toBe(201);
    if (name === 'mine') token = made.body.tokens[0].token;
    const created = await daemon.create({ name: `${name}-job`, partition: name, command: ['sleep', '300'], state: 'RUNNING' });
    await daemon.process(created.body.processes[0].id);
    targets.push({ id: created.body.processes[0].id, name, tokenId: made.body.tokens[0].id });
  }
  return { mine: targets[0] as Target, theirs: targets[1] as Target, token };
}

const asToken = (token: string) => ({ authorization: `Bearer ${token}` });

describe('a partition token', () => {
  it('is shown once, kept only as its hash, listed without its secret, and revocable', async () => {
    const daemon = await SigmaDaemon.start();
    const { token, mine } = await twoPartitions(daemon);
    expect(token).toMatch(/^sigma_p_[A-Za-z0-9_-]{43}$/);
    const listed = await daemon.request('GET', '/partitions/mine/tokens');
    expect(listed.body.tokens).toEqual([{ id: mine.tokenId, partition: 'mine', label: 'mine ops', createdAt: expect.any(String) }]);
    expect(listed.text).not.toContain(token);
    expect((await daemon.request('GET', '/processes', undefined, asToken(token))).status).toBe(200);

    expect((await daemon.request('DELETE', `/partitions/mine/tokens/${mine.tokenId}`)).status).toBe(204);
    expect(errorMismatch(await daemon.request('GET', '/processes', undefined, asToken(token)), 401, 'SIGMA_ERR_AUTH_INVALID')).toBeNull();
    expect(errorMismatch(await daemon.request('DELETE', `/partitions/mine/tokens/${mine.tokenId}`), 404, 'SIGMA_ERR_TOKEN_NOT_FOUND')).toBeNull();
    await daemon.request('PUT', '/partitions/mine', { operation: 'STOP' });
    await daemon.request('PUT', '/partitions/theirs', { operation: 'STOP' });
  });

  it('goes with its partition, and survives a restart until then', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'brief' });
    const token = (await daemon.request('POST', '/partitions/brief/tokens', {})).body.tokens[0].token;
    await daemon.stop();
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    expect((await again.request('GET', '/partitions', undefined, asToken(token))).body.partitions.map((p: { name: string }) => p.name)).toEqual(['brief']);
    expect((await again.request('DELETE', '/partitions/brief')).status).toBe(204);
    await again.request('POST', '/partitions', { name: 'brief' });
    expect(errorMismatch(await again.request('GET', '/processes', undefined, asToken(token)), 401, 'SIGMA_ERR_AUTH_INVALID')).toBeNull();
  });

  it('reaches its own partition on every route, is refused node-wide routes (403) and never sees another partition (404)', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--auth-failures-per-minute', '0'] });
    const { mine, theirs, token } = await twoPartitions(daemon);
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const operations = documentedOperations(document).filter(({ isPublic }) => !isPublic);
    expect(operations.map(({ method, path }) => `${method} ${path}`).filter((route) => !(route in SCOPES))).toEqual([]);

    const nodeView = async (): Promise<string> => (await daemon.request('GET', '/processes?partition=theirs')).text.replace(/"(startedAt|nextReleaseAt)":"[^"]*"/g, '');
    const theirsBefore = await nodeView();
    const problems: string[] = [];
    const check = (where: string, reply: Reply, status: number, code?: string): void => {
      const mismatch = code ? errorMismatch(reply, status, code) : reply.status === status ? null : `status ${reply.status}: ${reply.text.slice(0, 200)}`;
      if (mismatch) problems.push(`${where}: ${mismatch}`);
    };
    // Deletions last: the other routes need the process.
    const ordered = [...operations].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const { method, path } of ordered) {
      const route = `${method} ${path}`;
      const scope = SCOPES[route] as Scope;
      if (scope.kind === 'stream') continue;
      if (scope.kind === 'node-only') {
        for (const target of [mine, theirs]) {
          const body = method === 'POST' ? (path === '/partitions' ? { name: 'sneaky' } : {}) : undefined;
          check(`${route} on ${target.name}`, await daemon.request(method, filled(path, target), body, asToken(token)), 403, 'SIGMA_ERR_OUT_OF_SCOPE');
          if (method === 'GET') {
            const head = await daemon.request('HEAD', filled(path, target), undefined, asToken(token));
            if (head.status !== 403) problems.push(`HEAD ${path} on ${target.name}: ${head.status}`);
          }
        }
        continue;
      }
      const other = await daemon.request(method, filled(path, theirs), scope.body?.(theirs), asToken(token));
      if (route === 'GET /partitions') {
        check(route, other, 200);
        if (JSON.stringify(other.body.partitions.map((p: { name: string }) => p.name)) !== '["mine"]') problems.push(`${route}: ${other.text}`);
      } else if (route === 'GET /processes') {
        check(`${route}?partition=theirs`, await daemon.request('GET', '/processes?partition=theirs', undefined, asToken(token)), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND');
        check(`${route}?process_name=theirs-job`, await daemon.request('GET', '/processes?process_name=theirs-job', undefined, asToken(token)), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
      } else {
        check(`${route} on theirs`, other, scope.other, scope.otherCode);
      }
      const own = await daemon.request(method, filled(path, mine), scope.body?.(mine), asToken(token));
      check(`${route} on mine`, own, scope.own);
      if (route === 'GET /processes' && JSON.stringify(own.body.processes.map((p: { partition: string }) => p.partition)) !== '["mine"]') {
        problems.push(`${route}: sees ${own.text.slice(0, 300)}`);
      }
    }
    // Limits are the node's to set, even on its own partition; without `partition`, it creates in its own.
    check('PUT /partitions/mine with limits', await daemon.request('PUT', '/partitions/mine', { maxRunning: 5 }, asToken(token)), 403, 'SIGMA_ERR_OUT_OF_SCOPE');
    const created = await daemon.request('POST', '/processes', { name: 'defaulted', command: ['true'] }, asToken(token));
    check('POST /processes without partition', created, 201);
    if (created.body?.processes?.[0]?.partition !== 'mine') problems.push(`POST /processes without partition: ${created.text}`);
    expect(problems).toEqual([]);
    expect(await nodeView()).toBe(theirsBefore);
    expect((await daemon.request('GET', '/partitions/mine')).body.partitions[0].maxRunning).toBeNull();
    await daemon.request('PUT', '/partitions/theirs', { operation: 'STOP' });
  });

  it('is named in the audit trail as the actor of what it did; an operation on a partition is one entry', async () => {
    const daemon = await SigmaDaemon.start();
    const { mine, token } = await twoPartitions(daemon);
    await daemon.request('PUT', `/processes/${mine.id}`, { operation: 'SUSPEND' }, asToken(token));
    await daemon.request('PUT', '/partitions/mine', { operation: 'STOP' }, asToken(token));
    await daemon.request('PUT', '/partitions/theirs', { operation: 'STOP' });
    const entries = (await daemon.request('GET', '/audit?limit=3')).body.audit;
    expect(entries.map((entry: { method: string; path: string; processId: number | null; outcome: string; actor: string }) => [entry.path, entry.processId, entry.outcome, entry.actor])).toEqual([
      ['/partitions/theirs', null, 'OK', 'node'],
      ['/partitions/mine', null, 'OK', `token ${mine.tokenId} of mine`],
      [`/processes/${mine.id}`, mine.id, 'OK', `token ${mine.tokenId} of mine`],
    ]);
  });

  it('ends the streams it opened when it is revoked, and when its partition is deleted', async () => {
    const daemon = await SigmaDaemon.start();
    const { mine, theirs, token } = await twoPartitions(daemon);
    const events = await openStream(`${daemon.url}/events`, token);
    const logs = await openStream(`${daemon.url}/processes/${mine.id}/logs?follow=true`, token);
    expect([events.status, logs.status]).toEqual([200, 200]);
    expect((await daemon.request('DELETE', `/partitions/mine/tokens/${mine.tokenId}`)).status).toBe(204);
    await Promise.all([events.ended, logs.ended]);

    const other = (await daemon.request('POST', '/partitions/theirs/tokens', {})).body.tokens[0].token;
    const theirEvents = await openStream(`${daemon.url}/events`, other);
    await daemon.request('DELETE', `/processes/${theirs.id}`);
    expect((await daemon.request('DELETE', '/partitions/theirs')).status).toBe(204);
    await theirEvents.ended;
    await daemon.request('PUT', '/partitions/mine', { operation: 'STOP' });
  });

  it('streams only the events of its partition', async () => {
    const daemon = await SigmaDaemon.start();
    const { mine, theirs, token } = await twoPartitions(daemon);
    const stream = await openStream(`${daemon.url}/events`, token);
    expect(stream.status).toBe(200);
    await daemon.operate(theirs.id, 'STOP');
    await daemon.operate(mine.id, 'STOP');
    await stream.waitForText('the STOP of mine-job', (text) => text.includes('"to":"DORMANT"'));
    const events = parseEvents(stream.text()).filter((event) => event.event !== 'message');
    stream.close();
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.data.partition === 'mine' && event.data.processId === mine.id)).toBe(true);
  });
});
