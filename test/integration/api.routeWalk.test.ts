// Walks the daemon's own OpenAPI document, so that a route added later is covered without
// editing this file: every documented route refuses a request without the node token or with a
// wrong one (401 in sigma's shape), but those the document marks public (`security: []`); the
// dashboard's files, served without a token, are not in the document; and every documented GET
// answers the token's holder without a 5xx.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMismatch, processesText } from '../support/apiChecks.js';
import { safeOverrides } from '../support/hostileStep.js';
import { answerProblems } from '../support/hostileSession.js';
import { documentedOperations, requestBodySchema, schemaArbitrary, type Json } from '../support/openApiArbitraries.js';
import { sendRaw, type RawRequest } from '../support/rawHttp.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const WRONG_TOKEN = 'Bearer not-the-node-token-0000';
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A daemon with one process (id 1, never started), and its OpenAPI document. The walk sends
 * hundreds of requests without the token: refusals are not slowed down here (the throttle has
 * its own test).
 */
async function daemonWithDocument(): Promise<{ daemon: SigmaDaemon; document: Json; id: number }> {
  const daemon = await SigmaDaemon.start({ args: ['--auth-failures-per-minute', '0'] });
  const created = await daemon.create({ name: 'walked', command: ['sleep', '30'] });
  expect(created.status, created.text).toBe(201);
  const reply = await daemon.request('GET', '/openapi.json');
  expect(reply.status).toBe(200);
  return { daemon, document: reply.body, id: created.body.processes[0].id };
}

/** The path with its parameters: a process id, a partition name (`default` always exists), a token id. */
const filled = (template: string, id: number, partition = 'default'): string =>
  template.replace(/\{name\}/g, partition).replace(/\{[^}]+\}/g, String(id));

/** A body valid by the document (with a harmless command), so that only the token is wrong. */
function validBody(document: Json, operation: Json): string | undefined {
  const schema = requestBodySchema(document, operation);
  if (schema === null) return undefined;
  return JSON.stringify(fc.sample(schemaArbitrary(document, schema, safeOverrides()), { numRuns: 1, seed: 1 })[0]);
}

const asReply = (raw: { status: number; headers: Reply['headers']; text: string }): Reply => {
  let body: unknown;
  try {
    body = JSON.parse(raw.text);
  } catch {
    body = undefined;
  }
  return { ...raw, body };
};

describe('every route in the OpenAPI document', () => {
  it('answers 401 in sigma\'s shape without the node token or with a wrong one, but where it says security: []', async () => {
    const { daemon, document, id } = await daemonWithDocument();
    const operations = documentedOperations(document);
    expect(operations.map(({ method, path }) => `${method} ${path}`)).toEqual(
      expect.arrayContaining(['GET /processes', 'POST /processes', 'GET /processes/{id}', 'PUT /processes/{id}', 'DELETE /processes/{id}', 'GET /events']),
    );
    expect(operations.filter(({ isPublic }) => isPublic).map(({ method, path }) => `${method} ${path}`)).toEqual(['GET /health']);
    const before = await processesText(daemon);

    const problems: string[] = [];
    for (const { method, path, operation, isPublic } of operations) {
      const body = validBody(document, operation);
      for (const [label, authorization, code] of [
        ['no token', undefined, 'SIGMA_ERR_AUTH_MISSING'],
        ['a wrong token', WRONG_TOKEN, 'SIGMA_ERR_AUTH_INVALID'],
      ] as const) {
        const request: RawRequest = {
          method,
          path: filled(path, id),
          headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body } : {}),
        };
        const reply = await sendRaw(daemon.url, request);
        const where = `${method} ${path} with ${label}`;
        if (isPublic) {
          if (reply.status >= 400) problems.push(`${where}: public, but answered ${reply.status}`);
          continue;
        }
        const mismatch = errorMismatch(asReply(reply), 401, code);
        if (mismatch) problems.push(`${where}: ${mismatch}`);
        if (!reply.headers['www-authenticate']) problems.push(`${where}: no WWW-Authenticate header`);
      }
    }
    expect(problems).toEqual([]);
    expect(await processesText(daemon)).toBe(before);
  });

  it('answers 401 without a token to every other method on a documented path (not 404: nothing is told about routes)', async () => {
    const { daemon, document, id } = await daemonWithDocument();
    const operations = documentedOperations(document);
    const problems: string[] = [];
    let tried = 0;
    for (const path of new Set(operations.map((operation) => operation.path))) {
      if (operations.some((operation) => operation.path === path && operation.isPublic)) continue;
      for (const method of ALL_METHODS.filter((method) => !operations.some((operation) => operation.path === path && operation.method === method))) {
        tried++;
        const reply = await sendRaw(daemon.url, { method, path: filled(path, id) });
        if (reply.status !== 401) problems.push(`${method} ${path}: ${reply.status} ${reply.text.slice(0, 200)}`);
        if (method !== 'HEAD' && reply.status === 401) {
          const mismatch = errorMismatch(asReply(reply), 401, 'SIGMA_ERR_AUTH_MISSING');
          if (mismatch) problems.push(`${method} ${path}: ${mismatch}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('answers every documented GET with the token without a 5xx: 2xx for an existing process, an error in sigma\'s shape for an unknown one', async () => {
    const { daemon, document, id } = await daemonWithDocument();
    const gets = documentedOperations(document).filter(({ method }) => method === 'GET');
    expect(gets.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const { path } of gets) {
      for (const [label, processId, partition] of [['an existing process', id, 'default'], ['an unknown process', 999_999, 'nowhere']] as const) {
        if (label === 'an unknown process' && !path.includes('{')) continue;
        const request: RawRequest = { method: 'GET', path: filled(path, processId, partition), headers: { authorization: `Bearer ${daemon.token}` } };
        const reply = await sendRaw(daemon.url, request);
        const where = `GET ${path} for ${label}`;
        problems.push(...answerProblems(request, reply).map((problem) => `${where}: ${problem}`));
        if (label === 'an existing process' && (reply.status < 200 || reply.status >= 300)) problems.push(`${where}: ${reply.status} ${reply.text.slice(0, 200)}`);
        if (label === 'an unknown process' && reply.status !== 404) problems.push(`${where}: ${reply.status}, expected 404`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the dashboard's files", () => {
  const files = existsSync(DASHBOARD_DIR)
    ? readdirSync(DASHBOARD_DIR, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => `/${relative(DASHBOARD_DIR, join(entry.parentPath, entry.name)).split(sep).join('/')}`)
    : [];

  it.skipIf(files.length === 0)('are served without a token, and are not in the OpenAPI document', async () => {
    const { daemon, document } = await daemonWithDocument();
    const documented = new Set(Object.keys(document.paths));
    const problems: string[] = [];
    for (const path of ['/', ...files]) {
      if (documented.has(path)) problems.push(`${path} is in the OpenAPI document`);
      const reply = await sendRaw(daemon.url, { method: 'GET', path });
      if (reply.status !== 200) problems.push(`GET ${path} without a token: ${reply.status}`);
    }
    expect(problems).toEqual([]);
  });
});
