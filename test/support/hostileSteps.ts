// The steps of a hostile session with the daemon, as fast-check arbitraries: requests valid by
// the OpenAPI document, mutated requests (wrong types, huge values, odd unicode, raw JSON tricks,
// wrong methods, path tricks, bad content types), and real operations on real processes.
// Every command a generated request can carry is harmless: `sleep 30`, `true`, `false` or a
// path that does not exist; mutations never put other text into a command.
import fc from 'fast-check';
import {
  documentedOperations,
  parametersIn,
  requestBodySchema,
  schemaArbitrary,
  type Json,
  type Overrides,
} from './openApiArbitraries.js';

/** A process to aim at: one the session created (by index, modulo how many exist), or a literal id. */
export type IdChoice = { known: number } | { literal: number };

export type RealOperation = 'create-sleep' | 'create-true' | 'create-periodic' | 'START' | 'SUSPEND' | 'RESUME' | 'STOP' | 'DELETE';

export type Step =
  | { kind: 'valid'; method: string; template: string; id: IdChoice; query: Record<string, unknown>; body?: unknown }
  | {
      kind: 'mutated';
      mutation: string;
      method: string;
      /** May hold `{id}`, replaced by the chosen id. */
      path: string;
      id: IdChoice;
      headers: Record<string, string>;
      body?: string | Buffer;
    }
  | { kind: 'operation'; operation: RealOperation; target: number; periodMs: number; startNow: boolean };

export const HARMLESS_COMMANDS: ReadonlyArray<readonly string[]> = [['sleep', '30'], ['true'], ['false'], ['/nonexistent/sigma-no-such-program']];

const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 64 }).map((known) => ({ known })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((literal) => ({ literal })) },
);

/** Values of the definition that are safe to run and keep the machine quiet (periods of 50-200 ms or very long). */
export function safeOverrides(): Overrides {
  return {
    command: fc.constantFrom(...HARMLESS_COMMANDS).map((command) => [...command]),
    period: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 50, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 2147483647 }) }),
    cwd: fc.oneof(fc.constantFrom('/', '/tmp', '/nonexistent-sigma-dir'), fc.stringMatching(/^\/[a-z]{1,12}$/)),
    stopTimeoutMs: fc.integer({ min: 0, max: 3_600_000 }),
  };
}

/** One arbitrary of valid requests per documented operation. */
export function validSteps(document: Json): fc.Arbitrary<Step> {
  const overrides = safeOverrides();
  const arbitraries = documentedOperations(document).map(({ method, path, operation }) => {
    const queryModel = Object.fromEntries(
      parametersIn(document, operation, 'query').map((parameter: Json) => [parameter.name, schemaArbitrary(document, parameter.schema)]),
    );
    const bodySchema = requestBodySchema(document, operation);
    return fc.record({
      id: idChoice,
      query: fc.record(queryModel, { requiredKeys: [] }),
      body: bodySchema ? schemaArbitrary(document, bodySchema, overrides) : fc.constant(undefined),
    }).map(({ id, query, body }): Step => ({ kind: 'valid', method, template: path, id, query: query as Record<string, unknown>, body }));
  });
  return fc.oneof(...arbitraries);
}

const SPECIAL_TEXT = [
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  'مرحبا',
  '\ufeff',
  '\u0000',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\u0301',
  '🧨',
  '../',
  '%2e%2e',
  'İ',
  'ｓｌｅｅｐ',
  '\n',
  '"',
  '\\',
];

const trickyText: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...SPECIAL_TEXT, 'a', '.', '-', '/'), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(300, 4_097, 40_000, 70_000), fc.constantFrom('a', 'é', '\u202e', '🧨'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);

/** Numbers written as JSON text, so that values JSON.stringify cannot write reach the server too. */
const RAW_NUMBERS = ['1e308', '-1e308', '1e999', '-1e999', '9007199254740993', '2147483648', '-0', '1.5', '0', '-1', '1E2', '0.0000001', '123456789012345678901234567890'];

const MARKER = 'sigma-raw-marker';

/** The body with `key` set to `raw`, written as it is into the JSON text. */
function withRaw(body: Record<string, unknown>, key: string, raw: string | Buffer): Buffer {
  const [before = '', after = ''] = JSON.stringify({ ...body, [key]: MARKER }).split(JSON.stringify(MARKER));
  return Buffer.concat([Buffer.from(before), Buffer.isBuffer(raw) ? raw : Buffer.from(raw), Buffer.from(after)]);
}

/** Bytes that are not UTF-8: a surrogate encoded as if it were a character, an overlong ".", stray bytes. */
const INVALID_UTF8 = [[0xed, 0xa0, 0x80], [0xc0, 0xae], [0xff], [0x80], [0xf4, 0x90, 0x80, 0x80]];

/** The JSON-bodied routes, with a valid body to start mutating from. */
function bodyRoutes(document: Json): fc.Arbitrary<{ method: string; path: string; body: Record<string, unknown> }> {
  const overrides = safeOverrides();
  const routes = documentedOperations(document)
    .map(({ method, path, operation }) => ({ method, path, schema: requestBodySchema(document, operation) }))
    .filter(({ schema }) => schema !== null);
  return fc.oneof(
    ...routes.map(({ method, path, schema }) =>
      (schemaArbitrary(document, schema, overrides) as fc.Arbitrary<Record<string, unknown>>).map((body) => ({ method, path, body })),
    ),
  );
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Mutations of a valid body; `command` is only ever replaced by a value of the wrong type or a harmless one. */
function bodyMutations(document: Json): fc.Arbitrary<Step> {
  const keyOf = (body: Record<string, unknown>, pick: number, allowCommand: boolean): string => {
    const keys = Object.keys(body).filter((key) => allowCommand || key !== 'command');
    return keys.length === 0 ? 'name' : (keys[pick % keys.length] as string);
  };
  const mutated = (mutation: string, method: string, path: string, id: IdChoice, body: string | Buffer, headers = JSON_HEADERS): Step => ({
    kind: 'mutated',
    mutation,
    method,
    path,
    id,
    headers,
    body,
  });
  const route = bodyRoutes(document);
  return fc.oneof(
    fc.tuple(route, idChoice, fc.nat(), wrongTyped).map(([{ method, path, body }, id, pick, value]) => {
      const key = keyOf(body, pick, true);
      const safe = key === 'command' && Array.isArray(value) && value.length > 0 ? { [key]: 'sleep 30' } : { [key]: value };
      return mutated('wrong type', method, path, id, JSON.stringify({ ...body, ...safe }));
    }),
    fc.tuple(route, idChoice, fc.constantFrom('period', 'stopTimeoutMs', 'name', 'operation', 'type', 'env'), fc.constantFrom(...RAW_NUMBERS)).map(
      ([{ method, path, body }, id, key, raw]) => mutated('huge number', method, path, id, withRaw(body, key, raw)),
    ),
    fc.tuple(route, idChoice, fc.nat(), hugeText).map(([{ method, path, body }, id, pick, text]) => {
      const key = keyOf(body, pick, true);
      const value = key === 'command' ? ['sleep', text] : key === 'env' ? { HUGE: text } : text;
      return mutated('huge string', method, path, id, JSON.stringify({ ...body, [key]: value }));
    }),
    fc.tuple(route, idChoice, fc.nat(), trickyText).map(([{ method, path, body }, id, pick, text]) => {
      const key = keyOf(body, pick, false);
      const value = key === 'env' ? { [`U${pick % 7}`]: text } : text;
      return mutated('unicode', method, path, id, JSON.stringify({ ...body, [key]: value }));
    }),
    // Not UTF-8 at all, inside a JSON string.
    fc.tuple(route, idChoice, fc.nat(), fc.constantFrom(...INVALID_UTF8)).map(([{ method, path, body }, id, pick, bytes]) =>
      mutated('unicode', method, path, id, withRaw(body, keyOf(body, pick, false), Buffer.concat([Buffer.from('"a'), Buffer.from(bytes), Buffer.from('"')]))),
    ),
    fc.tuple(route, idChoice, fc.nat()).map(([{ method, path, body }, id, pick]) => {
      const key = keyOf(body, pick, true);
      return mutated('null', method, path, id, JSON.stringify({ ...body, [key]: null }));
    }),
    fc.tuple(route, idChoice, fc.constantFrom('null', '[]', '"START"', '42', 'true', '[{"operation":"START"}]')).map(([{ method, path }, id, raw]) =>
      mutated('null', method, path, id, raw),
    ),
    fc
      .tuple(route, idChoice, fc.constantFrom('name', 'operation', 'type', 'command', 'period', 'state'), fc.constantFrom('"JUMP"', '"START"', '["true"]', '5', 'null', '{}'))
      .map(([{ method, path, body }, id, key, raw]) =>
        mutated('duplicate keys', method, path, id, `{${JSON.stringify(key)}:${raw},${JSON.stringify(body).slice(1)}`.replace(/,}$/, '}')),
      ),
    fc.tuple(route, idChoice, fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })).map(([{ method, path, body }, id, key, value]) =>
      mutated('unknown field', method, path, id, JSON.stringify({ ...body, [key === '' ? 'extra' : key]: value })),
    ),
    fc.tuple(route, idChoice, fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([{ method, path, body }, id, key]) =>
      mutated('unknown field', method, path, id, `{${JSON.stringify(key)}:{"prototype":{"polluted":1},"polluted":1},${JSON.stringify(body).slice(1)}`.replace(/,}$/, '}')),
    ),
    fc
      .tuple(
        route,
        idChoice,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          'application/jsonx',
          'application/json, text/plain',
          'application/xml',
          'APPLICATION/JSON',
          'application/json;;',
          'text/json',
          'application/merge-patch+json',
          '*/*',
          '',
        ),
      )
      .map(([{ method, path, body }, id, contentType]) =>
        mutated('bad content type', method, path, id, JSON.stringify(body), contentType === '' ? ({} as typeof JSON_HEADERS) : { 'content-type': contentType }),
      ),
    fc
      .tuple(
        route,
        idChoice,
        fc.constantFrom(
          '{',
          '{"name":',
          '{"operation":"START",}',
          "{'operation':'START'}",
          '{"period":NaN}',
          '/*c*/{"operation":"START"}',
          '\ufeff{"operation":"START"}',
          '{"operation":"START"}garbage',
          '{"operation":"START"}{"operation":"STOP"}',
          '"',
          'nul',
          '{"a":"\\x41"}',
          '{"name":"\\ud800"}',
          '[',
          '{"operation":"ST\\u0000ART"}',
          `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
          `{"env":${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}}`,
        ),
      )
      .map(([{ method, path }, id, text]) => mutated('malformed JSON', method, path, id, text)),
    fc.tuple(route, idChoice, fc.boolean()).map(([{ method, path }, id, withType]) =>
      mutated('empty body', method, path, id, '', withType ? JSON_HEADERS : ({} as typeof JSON_HEADERS)),
    ),
  );
}

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

function pathMutations(document: Json): fc.Arbitrary<Step> {
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
      }),
    ),
    fc
      .tuple(
        fc.constantFrom(...operations),
        idChoice,
        fc.constantFrom('', 'Bearer wrong-token-0000000000', 'Bearer', 'Basic Og==', 'Bearer  ', `Bearer ${'x'.repeat(5_000)}`, 'bearer\u00ff'),
      )
      .map(
        ([{ method, path }, id, authorization]): Step => ({
          kind: 'mutated',
          mutation: 'bad credentials',
          method,
          path,
          id,
          headers: { authorization, ...(method === 'PUT' ? JSON_HEADERS : {}) },
          body: method === 'PUT' ? validOperation : undefined,
        }),
      ),
  );
}

export function mutatedSteps(document: Json): fc.Arbitrary<Step> {
  return fc.oneof({ weight: 3, arbitrary: bodyMutations(document) }, { weight: 2, arbitrary: pathMutations(document) });
}

export const operationSteps: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('operation' as const),
  operation: fc.constantFrom<RealOperation>('create-sleep', 'create-true', 'create-periodic', 'START', 'SUSPEND', 'RESUME', 'STOP', 'DELETE'),
  target: fc.nat({ max: 64 }),
  periodMs: fc.integer({ min: 50, max: 200 }),
  startNow: fc.boolean(),
});

/** A session: valid, mutated and real steps interleaved. */
export function sessionSteps(document: Json, minLength: number, maxLength: number): fc.Arbitrary<Step[]> {
  const step = fc.oneof(
    { weight: 7, arbitrary: validSteps(document) },
    { weight: 9, arbitrary: mutatedSteps(document) },
    { weight: 4, arbitrary: operationSteps },
  );
  return fc.array(step, { minLength, maxLength });
}
