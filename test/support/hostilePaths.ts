// Mutations of the request line: path tricks (dot segments, encoded slashes and dots, double
// and trailing slashes, bad escapes, overlong paths and query tricks), ids that only look like
// ids, methods a path does not have, and missing or wrong credentials.
import fc from 'fast-check';
import { idChoice, JSON_HEADERS, type Step } from './hostileStep.js';
import { documentedOperations, type Json } from './openApiArbitraries.js';

const PATH_TRICKS = [
  '/processes/../health',
  '/processes/%2e%2e/health',
  '/processes/%2E%2E/processes',
  '/%2e%2e/processes',
  '/processes/{id}/..',
  '/processes/{id}/../{id}',
  '/processes/%2F{id}',
  '/processes/{id}%2F',
  '/processes/{id}%2Fruns',
  '/processes%2F{id}',
  '//processes',
  '/processes//{id}',
  '/processes/',
  '/processes/{id}/',
  '/health/',
  '//health',
  '/health/..',
  '/processes/%ZZ',
  '/processes/%',
  '/processes/%00',
  '/processes/{id}%00',
  '/processes/{id};x',
  '/processes/{id}?',
  '/processes/{id}#frag',
  '/processes/{id}/runs/',
  '/processes/{id}/logs/../runs',
  '/./processes',
  '/processes/./{id}',
  '/PROCESSES/{id}',
  '/processes/%C0%AE%C0%AE',
  '/processes/%u002e',
  '/processes/{id}/logs?stream=../../etc/passwd',
  '/processes/{id}/logs?stream=stdout&stream=stderr',
  '/processes/{id}/runs?limit=1e3',
  '/processes/{id}/runs?limit=-1&limit=2',
  '/processes/{id}/logs?tail=99999999999999999999',
  '/processes/{id}/logs?follow=maybe',
  '/processes?process_name=../../x',
  '/processes?state=RUNNING&state=DORMANT',
  '/processes?process_name=%00',
  '/processes?process_name=%ZZ',
  '/processes?%%%',
  '/processes?__proto__[x]=1',
  '/processes?constructor[prototype][x]=1',
  `/processes?process_name=${'a'.repeat(5_000)}`,
  `/${'a'.repeat(9_000)}`,
  `/processes/${'{id}/'.repeat(200)}`,
  '/events?lastEventId=-1',
  '/events?lastEventId=1e400',
  '/openapi.json/..',
  '/docs/../processes',
  '/metrics/',
  '*',
];

const ODD_IDS = [
  '1e3',
  '0x10',
  '-1',
  '0',
  '01',
  '+1',
  '1.0',
  '%201',
  '1%20',
  'NaN',
  'Infinity',
  '9007199254740992',
  '9007199254740991',
  '9'.repeat(30),
  '9'.repeat(300),
  '1_000',
  '%D9%A1', // Arabic-Indic digit one
  '0b1',
  '1n',
  'null',
  'undefined',
  '%5B1%5D',
  '{id}',
  '%31',
];

export function pathMutations(document: Json): fc.Arbitrary<Step> {
  const operations = documentedOperations(document);
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
  const validOperation = JSON.stringify({ operation: 'STOP' });
  const wrongMethods = operations.flatMap(({ path }) =>
    methods.filter((method) => !operations.some((other) => other.path === path && other.method === method)).map((method) => ({ method, path })),
  );
  return fc.oneof(
    fc.tuple(fc.constantFrom(...PATH_TRICKS), fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST'), idChoice).map(
      ([path, method, id]): Step => ({
        kind: 'mutated',
        mutation: 'path trick',
        method,
        path,
        id,
        headers: method === 'GET' || method === 'DELETE' ? {} : JSON_HEADERS,
        body: method === 'GET' || method === 'DELETE' ? undefined : method === 'POST' ? JSON.stringify({ name: 'trick', command: ['true'] }) : validOperation,
      }),
    ),
    fc.tuple(fc.constantFrom(...ODD_IDS), fc.constantFrom('', '/runs', '/logs'), fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'), idChoice).map(
      ([oddId, below, method, id]): Step => ({
        kind: 'mutated',
        mutation: 'odd id',
        method,
        path: `/processes/${oddId}${below}`,
        id,
        headers: method === 'PUT' || method === 'PATCH' ? JSON_HEADERS : {},
        body: method === 'PUT' ? validOperation : method === 'PATCH' ? JSON.stringify({ stopTimeoutMs: 100 }) : undefined,
        // `{id}` becomes a real id, and `%31` is one once decoded.
        ...(oddId === '{id}' || oddId === '%31' ? {} : { invalid: true as const }),
      }),
    ),
    fc.tuple(fc.constantFrom(...wrongMethods), idChoice, fc.boolean()).map(
      ([{ method, path }, id, withBody]): Step => ({
        kind: 'mutated',
        mutation: 'wrong method',
        method,
        path,
        id,
        headers: withBody ? JSON_HEADERS : {},
        body: withBody ? validOperation : undefined,
        // HEAD is answered wherever GET is.
        ...(method === 'HEAD' && operations.some((other) => other.path === path && other.method === 'GET') ? {} : { invalid: true as const }),
      }),
    ),
    fc
      .tuple(
        fc.constantFrom(...operations),
        idChoice,
        fc.constantFrom('', 'Bearer wrong-token-0000000000', 'Bearer', 'Basic Og==', 'Bearer  ', `Bearer ${'x'.repeat(5_000)}`, 'bearer\u00ff'),
      )
      .map(
        ([{ method, path, isPublic }, id, authorization]): Step => ({
          kind: 'mutated',
          mutation: 'bad credentials',
          method,
          path,
          id,
          headers: { authorization, ...(method === 'PUT' ? JSON_HEADERS : {}) },
          body: method === 'PUT' ? validOperation : undefined,
          ...(isPublic ? {} : { invalid: true as const }),
        }),
      ),
  );
}
