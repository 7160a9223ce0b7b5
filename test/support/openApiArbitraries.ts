// Requests valid by the daemon's own OpenAPI document: its operations, and a fast-check
// arbitrary for every schema in it (the subset of JSON Schema the document uses). Callers may
// replace the arbitrary of a named property (`overrides`), e.g. to keep `command` harmless.
import fc from 'fast-check';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface DocumentedOperation {
  method: string;
  /** The template, e.g. /processes/{id}. */
  path: string;
  operation: Json;
  /** Public when the operation says `security: []`. */
  isPublic: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export function documentedOperations(document: Json): DocumentedOperation[] {
  return Object.entries<Json>(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const operation = item[method];
      const security = operation.security ?? document.security ?? [];
      return { method: method.toUpperCase(), path, operation, isPublic: Array.isArray(security) && security.length === 0 };
    }),
  );
}

/** Follows `#/...` references inside the document (the document never points outside itself). */
export function resolveRef(document: Json, schema: Json): Json {
  let current = schema;
  for (let hops = 0; current && typeof current.$ref === 'string' && hops < 20; hops++) {
    if (!current.$ref.startsWith('#/')) throw new Error(`external $ref ${current.$ref}`);
    current = current.$ref
      .slice(2)
      .split('/')
      .map((part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node: Json, part: string) => node?.[part], document);
  }
  return current;
}

export type Overrides = Readonly<Record<string, fc.Arbitrary<unknown>>>;

/** Strings matching `pattern`; a leading negative lookahead (which fast-check cannot generate) is checked afterwards. */
function stringMatchingPattern(pattern: string): fc.Arbitrary<string> {
  const full = new RegExp(pattern, 'u');
  const withoutLookahead = pattern.replace(/^\^\(\?![^)]*\)/, '^');
  return fc.stringMatching(new RegExp(withoutLookahead)).filter((value) => full.test(value));
}

function stringArbitrary(schema: Json): fc.Arbitrary<string> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as string[]));
  const minLength: number = schema.minLength ?? 0;
  // Long enough to reach a limit now and then, short enough to keep thousands of requests fast.
  const maxLength = Math.min(schema.maxLength ?? 64, minLength + 64);
  const base = schema.pattern ? stringMatchingPattern(schema.pattern) : fc.string({ unit: 'grapheme', minLength, maxLength });
  return base.filter((value) => value.length >= minLength && value.length <= (schema.maxLength ?? Infinity));
}

function integerArbitrary(schema: Json): fc.Arbitrary<number> {
  const min: number = schema.minimum ?? Number.MIN_SAFE_INTEGER;
  const max: number = schema.maximum ?? Number.MAX_SAFE_INTEGER;
  // The bounds themselves are where validators go wrong.
  return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
}

/** An arbitrary of values valid against `schema`. */
export function schemaArbitrary(document: Json, rawSchema: Json, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  const schema = resolveRef(document, rawSchema) ?? {};
  if (schema.type === 'object' && Array.isArray(schema.anyOf) && schema.anyOf.every((sub: Json) => Array.isArray(sub.required) && Object.keys(sub).every((key) => key === 'required' || key === 'properties'))) {
    // Branches that only require keys and pin or forbid some (const, false): the object's own
    // properties, kept when a branch holds.
    const allows = (rule: Json, key: string, value: Record<string, unknown>): boolean => {
      if (rule === false || (typeof rule === 'object' && 'not' in rule)) return !(key in value);
      if (rule === true || !(key in value)) return true;
      if ('const' in rule) return value[key] === rule.const;
      return Array.isArray(rule.enum) ? rule.enum.includes(value[key]) : true;
    };
    const holds = (sub: Json, value: Record<string, unknown>): boolean =>
      (sub.required as string[]).every((key) => key in value) && Object.entries<Json>(sub.properties ?? {}).every(([key, rule]) => allows(rule, key, value));
    return objectArbitrary(document, schema, overrides).filter((value) => schema.anyOf.some((sub: Json) => holds(sub, value)));
  }
  if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((sub: Json) => schemaArbitrary(document, sub, overrides)));
  if (Array.isArray(schema.oneOf)) return fc.oneof(...schema.oneOf.map((sub: Json) => schemaArbitrary(document, sub, overrides)));
  if ('const' in schema) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return integerArbitrary(schema);
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schemaArbitrary(document, schema.items ?? {}, overrides), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 8, (schema.minItems ?? 0) + 8),
      });
    case 'object':
      return objectArbitrary(document, schema, overrides);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(document: Json, schema: Json, overrides: Overrides): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries<Json>(schema.properties ?? {});
  const minProperties: number = schema.minProperties ?? 0;
  const maxProperties: number = schema.maxProperties ?? Infinity;
  if (properties.length === 0 && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const names = schema.propertyNames ? schemaArbitrary(document, schema.propertyNames) : fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
    return fc.dictionary(names as fc.Arbitrary<string>, schemaArbitrary(document, schema.additionalProperties, overrides), {
      minKeys: minProperties,
      maxKeys: Math.min(maxProperties, minProperties + 4),
    });
  }
  const model = Object.fromEntries(properties.map(([name, sub]) => [name, overrides[name] ?? schemaArbitrary(document, sub, overrides)]));
  return fc
    .record(model, { requiredKeys: (schema.required ?? []) as string[] })
    .filter((value) => Object.keys(value).length >= minProperties && Object.keys(value).length <= maxProperties) as fc.Arbitrary<
    Record<string, unknown>
  >;
}

/** The JSON schema of an operation's request body, or null when it takes none. */
export function requestBodySchema(document: Json, operation: Json): Json | null {
  return resolveRef(document, operation.requestBody)?.content?.['application/json']?.schema ?? null;
}

export function parametersIn(document: Json, operation: Json, where: 'path' | 'query'): Json[] {
  return (operation.parameters ?? []).map((parameter: Json) => resolveRef(document, parameter)).filter((parameter: Json) => parameter.in === where);
}
