// The API's HTTP conventions, through the real daemon: 405 with Allow for a known path's wrong
// method (behind the token, as everything else), 415 for a body that is not JSON, a trailing slash
// that names the same resource, Cache-Control: no-store on JSON answers, and ETags with
// If-None-Match answered 304 until what the answer shows changes.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMismatch, expectError, processesText } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const SLEEP = ['sleep', '300'];

/** Everything a refused request could have changed: the processes and the partitions, as served. */
async function nodeState(daemon: SigmaDaemon): Promise<string> {
  const partitions = await daemon.request('GET', '/partitions');
  expect(partitions.status, partitions.text).toBe(200);
  return `${await processesText(daemon)}${partitions.text}`;
}

/** A daemon with one DORMANT process and one partition besides the default one. */
async function daemonWithProcess(): Promise<{ daemon: SigmaDaemon; id: number }> {
  const daemon = await SigmaDaemon.start();
  const created = await daemon.create({ name: 'kept', command: SLEEP });
  expect(created.status, created.text).toBe(201);
  expect((await daemon.request('POST', '/partitions', { name: 'lab' })).status).toBe(201);
  return { daemon, id: created.body.processes[0].id };
}

const sha1Tag = (text: string): string => `"${createHash('sha1').update(text).digest('base64url')}"`;

describe('a known path asked with a method it is not served with', () => {
  const CASES: ReadonlyArray<[string, string, string]> = [
    ['DELETE', '/processes', 'GET, HEAD, POST'],
    ['PATCH', '/processes', 'GET, HEAD, POST'],
    ['OPTIONS', '/processes', 'GET, HEAD, POST'],
    ['DELETE', '/processes/', 'GET, HEAD, POST'],
    ['POST', '/processes/{id}', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['PUT', '/processes/{id}/runs', 'GET, HEAD'],
    ['POST', '/health', 'GET, HEAD'],
    ['POST', '/events', 'GET, HEAD'],
    ['PUT', '/partitions', 'GET, HEAD, POST'],
    ['POST', '/partitions/lab', 'GET, HEAD, PUT, DELETE'],
    ['PUT', '/partitions/lab/tokens', 'GET, HEAD, POST'],
    ['DELETE', '/metrics', 'GET, HEAD'],
  ];

  it('answers 405 SIGMA_ERR_METHOD_NOT_ALLOWED with the Allow header, and changes nothing', async () => {
    const { daemon, id } = await daemonWithProcess();
    const before = await nodeState(daemon);
    const problems: string[] = [];
    for (const [method, template, allow] of CASES) {
      const path = template.replace('{id}', String(id));
      const body = method === 'GET' || method === 'DELETE' || method === 'OPTIONS' ? undefined : { operation: 'START', name: 'intruder', command: SLEEP };
      const reply = await daemon.request(method, path, body);
      const mismatch = errorMismatch(reply, 405, 'SIGMA_ERR_METHOD_NOT_ALLOWED');
      if (mismatch) problems.push(`${method} ${path}: ${mismatch}`);
      if (reply.headers.allow !== allow) problems.push(`${method} ${path}: Allow ${String(reply.headers.allow)}, expected ${allow}`);
      if (reply.body?.message !== undefined && !String(reply.body.message).includes(allow)) problems.push(`${method} ${path}: message "${reply.body.message}"`);
    }
    expect(problems).toEqual([]);
    expect(await nodeState(daemon)).toBe(before);
  });

  it('is served with every method its Allow header lists (none of them is a 404 or a 405)', async () => {
    const { daemon, id } = await daemonWithProcess();
    for (const [method, template] of [['PATCH', '/processes'], ['POST', '/processes/{id}']] as const) {
      const allow = String((await daemon.request(method, template.replace('{id}', String(id)))).headers.allow);
      for (const listed of allow.split(', ').filter((name) => name === 'GET' || name === 'HEAD')) {
        const reply = await daemon.request(listed, template.replace('{id}', String(id)));
        expect(reply.status, `${listed} ${template}`).toBe(200);
      }
    }
  });

  it('stays a 404 for a path no route has, whatever the method', async () => {
    const { daemon, id } = await daemonWithProcess();
    for (const [method, path] of [['GET', '/nope'], ['DELETE', '/nope'], ['GET', `/processes/${id}/nope`], ['POST', '/process'], ['GET', '/partitions/lab/tokens/1/more']]) {
      const reply = await daemon.request(method as string, path as string);
      expectError(reply, 404, 'SIGMA_ERR_ROUTE_NOT_FOUND');
      expect(reply.headers.allow, `${method} ${path}`).toBeUndefined();
    }
  });

  it('is a 401 without the token, with no Allow header: a request without the token learns nothing of the routes', async () => {
    const { daemon } = await daemonWithProcess();
    const before = await nodeState(daemon);
    for (const [method, path] of [['DELETE', '/processes'], ['POST', '/health'], ['PUT', '/partitions'], ['GET', '/nope']] as const) {
      const reply = await daemon.request(method, path, undefined, { authorization: '' });
      expectError(reply, 401, 'SIGMA_ERR_AUTH_MISSING');
      expect(reply.headers.allow, `${method} ${path}`).toBeUndefined();
    }
    expect(await nodeState(daemon)).toBe(before);
  });
});

describe('a body that is not sent as JSON', () => {
  it('is refused with 415 SIGMA_ERR_REQUEST_CONTENT_TYPE naming application/json, on every route that takes a body, and changes nothing', async () => {
    const { daemon, id } = await daemonWithProcess();
    const before = await nodeState(daemon);
    const cases: ReadonlyArray<[string, string, string, string]> = [
      ['POST', '/processes', 'text/plain', JSON.stringify({ name: 'fresh', command: SLEEP })],
      ['POST', '/processes', 'application/x-www-form-urlencoded', 'name=fresh&command=sleep'],
      ['PUT', `/processes/${id}`, 'text/plain', '{"operation":"START"}'],
      ['PATCH', `/processes/${id}`, 'application/xml', '<command>true</command>'],
      ['POST', '/partitions', 'text/plain', '{"name":"other"}'],
      ['PUT', '/partitions/lab', 'multipart/form-data; boundary=x', '--x\r\n\r\n{"maxRunning":1}\r\n--x--'],
    ];
    const problems: string[] = [];
    for (const [method, path, type, body] of cases) {
      const reply = await daemon.request(method, path, body, { 'content-type': type });
      const mismatch = errorMismatch(reply, 415, 'SIGMA_ERR_REQUEST_CONTENT_TYPE');
      if (mismatch) problems.push(`${method} ${path} as ${type}: ${mismatch}`);
      if (!String(reply.body?.message).includes('application/json')) problems.push(`${method} ${path} as ${type}: message "${reply.body?.message}"`);
      if (!String(reply.body?.message).includes(type.split(';')[0] as string)) problems.push(`${method} ${path} as ${type}: the message does not name ${type}`);
    }
    expect(problems).toEqual([]);
    expect(await nodeState(daemon)).toBe(before);
  });

  it('takes application/json with a charset, in any case', async () => {
    const daemon = await SigmaDaemon.start();
    for (const [name, type] of [['a', 'application/json; charset=utf-8'], ['b', 'Application/JSON;charset=UTF-8']]) {
      const reply = await daemon.request('POST', '/processes', { name, command: ['true'] }, { 'content-type': type as string });
      expect(reply.status, `${type}: ${reply.text}`).toBe(201);
    }
  });
});

describe('a trailing slash', () => {
  it('names the same collection or process: /processes/ is the list, never an id that is not valid', async () => {
    const { daemon, id } = await daemonWithProcess();
    for (const path of ['/processes', '/partitions', `/processes/${id}`, '/partitions/lab', `/processes/${id}/runs`]) {
      const plain = await daemon.request('GET', path);
      const slashed = await daemon.request('GET', `${path}/`);
      expect(plain.status, `${path}: ${plain.text}`).toBe(200);
      expect(slashed.status, `${path}/: ${slashed.text}`).toBe(200);
      expect(slashed.text, `${path}/`).toBe(plain.text);
    }
  });
});

describe('Cache-Control', () => {
  it('is no-store on every JSON answer: lists, one resource, a creation, an error', async () => {
    const { daemon, id } = await daemonWithProcess();
    const replies: Array<[string, Reply]> = [
      ['GET /processes', await daemon.request('GET', '/processes')],
      ['GET /processes/{id}', await daemon.request('GET', `/processes/${id}`)],
      ['GET /partitions', await daemon.request('GET', '/partitions')],
      ['GET /partitions/lab', await daemon.request('GET', '/partitions/lab')],
      ['POST /processes', await daemon.create({ name: 'another', command: ['true'] })],
      ['a 404', await daemon.request('GET', '/processes/999999')],
      ['a 401', await daemon.request('GET', '/processes', undefined, { authorization: '' })],
      ['a 405', await daemon.request('DELETE', '/processes')],
    ];
    for (const [label, reply] of replies) {
      expect(String(reply.headers['content-type']), label).toMatch(/^application\/json/);
      expect(reply.headers['cache-control'], label).toBe('no-store');
    }
  });
});

describe('ETag and If-None-Match', () => {
  const READS = ['/processes', '/processes/{id}', '/partitions', '/partitions/default', '/processes?state=DORMANT'];

  it('tags every GET with a tag of the exact bytes, and answers 304 without a body to a client that holds it', async () => {
    const { daemon, id } = await daemonWithProcess();
    for (const template of READS) {
      const path = template.replace('{id}', String(id));
      const first = await daemon.request('GET', path);
      expect(first.status, first.text).toBe(200);
      const tag = String(first.headers.etag);
      expect(tag, path).toBe(sha1Tag(first.text));
      for (const held of [tag, `W/${tag}`, `"stale", ${tag}`, '*']) {
        const again = await daemon.request('GET', path, undefined, { 'if-none-match': held });
        expect(again.status, `${path} with If-None-Match ${held}`).toBe(304);
        expect(again.text, path).toBe('');
        expect(again.headers.etag, path).toBe(tag);
        expect(again.headers['content-type'], path).toBeUndefined();
        expect(again.headers['cache-control'], path).toBe('no-store');
      }
      const head = await daemon.request('HEAD', path, undefined, { 'if-none-match': tag });
      expect(head.status, `HEAD ${path}`).toBe(304);
      // A 304 may tell the length of the answer the client holds, never another.
      expect([undefined, String(Buffer.byteLength(first.text))], `HEAD ${path}`).toContain(head.headers['content-length']);
      const other = await daemon.request('GET', path, undefined, { 'if-none-match': '"not-this-one"' });
      expect(other.status, path).toBe(200);
      expect(other.text, path).toBe(first.text);
    }
  });

  it('changes with every change of a process: an operation, a definition, a new process', async () => {
    const { daemon, id } = await daemonWithProcess();
    const tagsOf = async (): Promise<Map<string, string>> => {
      const tags = new Map<string, string>();
      for (const template of READS) {
        const reply = await daemon.request('GET', template.replace('{id}', String(id)));
        expect(reply.status, reply.text).toBe(200);
        tags.set(template, String(reply.headers.etag));
      }
      return tags;
    };
    /** After a change, each read that shows it answers 200 with its new body to the old tag. */
    const expectNewAnswers = async (old: Map<string, string>, showing: readonly string[], change: string): Promise<Map<string, string>> => {
      for (const template of showing) {
        const reply = await daemon.request('GET', template.replace('{id}', String(id)), undefined, { 'if-none-match': old.get(template) as string });
        expect(reply.status, `${template} after ${change}`).toBe(200);
        expect(reply.headers.etag, `${template} after ${change}`).not.toBe(old.get(template));
        expect(reply.headers.etag, `${template} after ${change}`).toBe(sha1Tag(reply.text));
      }
      return tagsOf();
    };

    let tags = await tagsOf();
    const started = await daemon.operate(id, 'START');
    expect(started.body.processes[0].result, started.text).toBe('OK');
    const running = await daemon.request('GET', `/processes/${id}`, undefined, { 'if-none-match': tags.get('/processes/{id}') as string });
    expect(running.status).toBe(200);
    expect(running.body.processes[0].state).toBe('RUNNING');
    tags = await expectNewAnswers(tags, ['/processes', '/processes/{id}', '/partitions', '/partitions/default', '/processes?state=DORMANT'], 'START');

    expect((await daemon.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    tags = await expectNewAnswers(tags, ['/processes', '/processes/{id}', '/partitions', '/partitions/default', '/processes?state=DORMANT'], 'STOP');

    expect((await daemon.request('PATCH', `/processes/${id}`, { env: { A: '1' } })).status).toBe(200);
    tags = await expectNewAnswers(tags, ['/processes', '/processes/{id}', '/processes?state=DORMANT'], 'PATCH');

    expect((await daemon.create({ name: 'newcomer', command: ['true'] })).status).toBe(201);
    await expectNewAnswers(tags, ['/processes', '/partitions', '/partitions/default', '/processes?state=DORMANT'], 'a create');
  });

  it('is unchanged while nothing changes: the same answer twice has the same tag', async () => {
    const { daemon, id } = await daemonWithProcess();
    for (const template of READS) {
      const path = template.replace('{id}', String(id));
      const [a, b] = [await daemon.request('GET', path), await daemon.request('GET', path)];
      expect(b.text, path).toBe(a.text);
      expect(b.headers.etag, path).toBe(a.headers.etag);
    }
  });
});

describe('the OpenAPI document', () => {
  it('declares 415 on every operation that takes a body, and 304 on every GET answered in JSON', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const missing: string[] = [];
    for (const [path, item] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (['post', 'put', 'patch'].includes(method) && !operation.responses['415']) missing.push(`${method} ${path} 415`);
      }
      if (['/processes', '/processes/{id}', '/partitions', '/partitions/{name}'].includes(path) && !item.get?.responses['304']) missing.push(`get ${path} 304`);
    }
    expect(missing).toEqual([]);
    expect(document.paths['/metrics'].get.responses['304']).toBeUndefined();
  });
});

describe('GET /metrics', () => {
  it('names counters, and only counters, with _total (promtool check metrics)', async () => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.request('GET', '/metrics');
    expect(reply.status).toBe(200);
    const types = [...reply.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name: name as string, type: type as string }));
    expect(types.length).toBeGreaterThan(20);
    const wrong = types.filter(({ name, type }) => (type === 'counter') !== name.endsWith('_total'));
    expect(wrong).toEqual([]);
    for (const renamed of ['sigma_daemon_nodejs_active_handles_all', 'sigma_daemon_nodejs_active_resources_all']) {
      expect(types, renamed).toContainEqual({ name: renamed, type: 'gauge' });
      expect(reply.text, renamed).toMatch(new RegExp(`^${renamed} [1-9]`, 'm'));
    }
  });
});
