// Mutations of valid request bodies: wrong types, huge numbers and strings, odd unicode and bytes
// that are not UTF-8, nulls, duplicate and unknown keys written as raw JSON text, bad content
// types, malformed JSON, empty bodies. `command` is only ever replaced by a value of the wrong
// type or a harmless one, so no mutation runs anything new.
import fc from 'fast-check';
import { idChoice, JSON_HEADERS, safeOverrides, type IdChoice, type Step } from './hostileStep.js';
import { documentedOperations, requestBodySchema, schemaArbitrary, type Json } from './openApiArbitraries.js';

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

type MutatedStep = Extract<Step, { kind: 'mutated' }>;

/** Content types that are not JSON by any reading: a body sent with one is refused. */
const NOT_JSON_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json'];

/**
 * Texts of the malformed list that a parser may take: a leading byte order mark, and escapes
 * that are JSON (whether the value they make is refused depends on the route).
 */
const ACCEPTABLE_AS_JSON = ['\ufeff{"operation":"START"}', '{"name":"\\ud800"}', '{"operation":"ST\\u0000ART"}'];

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

/** Mutations of a valid body; `command` is only ever replaced by a value of the wrong type or a harmless one. */
export function bodyMutations(document: Json): fc.Arbitrary<Step> {
  const keyOf = (body: Record<string, unknown>, pick: number, allowCommand: boolean): string => {
    const keys = Object.keys(body).filter((key) => allowCommand || key !== 'command');
    return keys.length === 0 ? 'name' : (keys[pick % keys.length] as string);
  };
  const mutated = (mutation: string, method: string, path: string, id: IdChoice, body: string | Buffer, headers: Record<string, string> = JSON_HEADERS): MutatedStep => ({
    kind: 'mutated',
    mutation,
    method,
    path,
    id,
    headers,
    body,
  });
  const invalid = (step: MutatedStep): MutatedStep => ({ ...step, invalid: true });
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
    // No body is anything but an object.
    fc.tuple(route, idChoice, fc.constantFrom('null', '[]', '"START"', '42', 'true', '[{"operation":"START"}]')).map(([{ method, path }, id, raw]) =>
      invalid(mutated('null', method, path, id, raw)),
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
      invalid(mutated('unknown field', method, path, id, `{${JSON.stringify(key)}:{"prototype":{"polluted":1},"polluted":1},${JSON.stringify(body).slice(1)}`.replace(/,}$/, '}'))),
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
      .map(([{ method, path, body }, id, contentType]) => {
        const step = mutated('bad content type', method, path, id, JSON.stringify(body), contentType === '' ? {} : { 'content-type': contentType });
        return NOT_JSON_TYPES.includes(contentType) ? invalid(step) : step;
      }),
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
      .map(([{ method, path }, id, text]) => {
        const step = mutated('malformed JSON', method, path, id, text);
        return ACCEPTABLE_AS_JSON.includes(text) ? step : invalid(step);
      }),
    fc.tuple(route, idChoice, fc.boolean()).map(([{ method, path }, id, withType]) =>
      invalid(mutated('empty body', method, path, id, '', withType ? JSON_HEADERS : {})),
    ),
  );
}
