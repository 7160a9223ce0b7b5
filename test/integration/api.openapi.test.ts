// The self-description: GET /openapi.json is a complete OpenAPI 3.1 document, /docs a page.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRef } from '../support/openApiArbitraries.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let propertiesChecked = 0;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every property (at any depth) of a schema that has no description, as a path; counts those seen. */
function propertiesWithoutDescription(document: Json, schema: Json, where: string, seen = new Set<Json>()): string[] {
  const node = resolveRef(document, schema);
  if (!node || typeof node !== 'object' || seen.has(node)) return [];
  seen.add(node);
  const missing: string[] = [];
  for (const [name, property] of Object.entries<Json>(node.properties ?? {})) {
    propertiesChecked++;
    if (!property?.description && !resolveRef(document, property)?.description) missing.push(`${where}.${name}`);
    missing.push(...propertiesWithoutDescription(document, property, `${where}.${name}`, seen));
  }
  const nested: Array<[string, Json]> = [
    ...['items', 'additionalProperties', 'not'].map((key): [string, Json] => [`${where}[${key}]`, node[key]]),
    ...['anyOf', 'oneOf', 'allOf'].flatMap((key) => (node[key] ?? []).map((s: Json, i: number): [string, Json] => [`${where}[${key}${i}]`, s])),
    ...Object.entries<Json>(node.patternProperties ?? {}).map(([p, s]): [string, Json] => [`${where}[${p}]`, s]),
  ];
  for (const [path, sub] of nested) if (sub && typeof sub === 'object') missing.push(...propertiesWithoutDescription(document, sub, path, seen));
  return missing;
}

function operations(document: Json): Array<{ path: string; method: string; operation: Json }> {
  return Object.entries<Json>(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] })),
  );
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with the routes, the bearer scheme, and /health open', async () => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.request('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const document = reply.body;
    expect(document.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/processes', '/processes/{id}', '/health', '/openapi.json']));
    expect(Object.keys(document.paths['/processes'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(document.paths['/processes/{id}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));

    const schemes = Object.values<Json>(document.components?.securitySchemes ?? {});
    expect(schemes).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.paths['/health'].get.security).toEqual([]);
  });

  it('names each operation and the schemas a client generator makes types of, lists a server and both schemes', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const ids = operations(document).map(({ operation }) => operation.operationId);
    expect(ids.filter((id) => typeof id !== 'string' || !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
    expect(document.paths['/processes'].post.operationId).toBe('createProcess');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.info.license).toEqual(expect.objectContaining({ name: 'MIT' }));
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    const schemas = document.components.schemas;
    for (const name of ['Process', 'ProcessCreate', 'ProcessUpdate', 'OperationRequest', 'OperationResult', 'Partition', 'Run', 'Error']) {
      expect(schemas[name], name).toEqual(expect.objectContaining({ title: name }));
    }
    const bodyOf = (method: string, path: string, status?: string): Json => {
      const operation = document.paths[path][method];
      return (status ? operation.responses[status] : operation.requestBody).content['application/json'].schema;
    };
    expect(bodyOf('post', '/processes')).toEqual({ $ref: '#/components/schemas/ProcessCreate' });
    expect(bodyOf('put', '/processes/{id}')).toEqual({ $ref: '#/components/schemas/OperationRequest' });
    expect(resolveRef(document, bodyOf('get', '/processes', '200')).properties.processes.items).toEqual({ $ref: '#/components/schemas/Process' });
    expect(bodyOf('get', '/processes/{id}', '404')).toEqual(expect.objectContaining({ $ref: '#/components/schemas/Error' }));
  });

  it('declares the answers any route can give before its handler: 400, 408, 431; with a token 401 and 429 (Retry-After); with a body 413', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const missing: string[] = [];
    for (const { path, method, operation } of operations(document)) {
      const open = Array.isArray(operation.security) && operation.security.length === 0;
      const expected = ['400', '408', '431', ...(open ? [] : ['401', '429']), ...(['post', 'put', 'patch'].includes(method) ? ['413'] : [])];
      for (const status of expected) if (!operation.responses[status]) missing.push(`${method.toUpperCase()} ${path} ${status}`);
    }
    expect(missing).toEqual([]);
    expect(document.paths['/processes/{id}'].put.responses['429'].headers['Retry-After']).toEqual(expect.objectContaining({ schema: expect.anything() }));
  });

  it('describes every operation and every response', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const all = operations(document);
    expect(all.length).toBeGreaterThanOrEqual(7);
    const missing: string[] = [];
    for (const { path, method, operation } of all) {
      if (!operation.description) missing.push(`${method.toUpperCase()} ${path}`);
      const responses = Object.entries<Json>(operation.responses ?? {});
      if (responses.length === 0) missing.push(`${method.toUpperCase()} ${path}: no responses`);
      for (const [status, response] of responses) {
        if (!resolveRef(document, response)?.description) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('describes every property of the request and response bodies of the /processes routes', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    const missing: string[] = [];
    let schemasWalked = 0;
    propertiesChecked = 0;
    for (const { path, method, operation } of operations(document).filter(({ path }) => path.startsWith('/processes'))) {
      const name = `${method.toUpperCase()} ${path}`;
      const bodies: Array<[string, Json]> = [
        ...Object.entries<Json>(resolveRef(document, operation.requestBody)?.content ?? {}).map(([type, media]): [string, Json] => [
          `${name} request ${type}`,
          media.schema,
        ]),
        ...Object.entries<Json>(operation.responses ?? {}).flatMap(([status, response]) =>
          Object.entries<Json>(resolveRef(document, response)?.content ?? {}).map(([type, media]): [string, Json] => [
            `${name} ${status} ${type}`,
            media.schema,
          ]),
        ),
      ];
      for (const [where, schema] of bodies) {
        schemasWalked++;
        missing.push(...propertiesWithoutDescription(document, schema, where));
      }
    }
    // POST and PUT bodies, and at least the 200/201 and error bodies of the five operations.
    expect(schemasWalked).toBeGreaterThanOrEqual(12);
    // The 18 fields of a process, in each of the three process bodies, at the least.
    expect(propertiesChecked).toBeGreaterThanOrEqual(3 * 18);
    expect(missing).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves an HTML page to Basic auth with the token as password', async () => {
    const daemon = await SigmaDaemon.start();
    const authorization = `Basic ${Buffer.from(`operator:${daemon.token}`).toString('base64')}`;
    let path = '/docs';
    let reply: Reply = await daemon.request('GET', path, undefined, { authorization });
    for (let redirects = 0; reply.status >= 300 && reply.status < 400 && redirects < 5; redirects++) {
      expect(reply.headers.location, 'a redirect names its target').toBeTypeOf('string');
      const target = new URL(reply.headers.location as string, new URL(path, daemon.url));
      path = target.pathname + target.search;
      reply = await daemon.request('GET', path, undefined, { authorization });
    }
    expect(reply.status, reply.text.slice(0, 200)).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.text).toMatch(/<html/i);
  });
});
