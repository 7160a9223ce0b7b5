// Every schema given a `title` (Process, ProcessCreate, Error...) is moved into
// `components.schemas` under that name and referenced where it was, so that a client generator
// makes one named type of it instead of an anonymous one per use.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function withNamedComponents<T extends { paths?: unknown; components?: unknown }>(document: T): T {
  const named: Record<string, JsonObject> = {};
  const paths = hoistTitled(document.paths as Json, named);
  const components = (document.components ?? {}) as { schemas?: Record<string, unknown> };
  return { ...document, paths, components: { ...components, schemas: { ...components.schemas, ...sortedByName(named) } } };
}

function hoistTitled(node: Json, named: Record<string, JsonObject>): Json {
  if (Array.isArray(node)) return node.map((item) => hoistTitled(item, named));
  if (node === null || typeof node !== 'object') return node;
  // Inner schemas first, so that a list refers to its item by name, the same way at every use.
  const inner: JsonObject = {};
  for (const [key, value] of Object.entries(node)) inner[key] = hoistTitled(value, named);
  const title = inner.title;
  if (typeof title !== 'string' || !isSchema(inner)) return inner;
  const { description, ...shape } = inner;
  const known = named[title];
  if (known === undefined) named[title] = inner;
  else if (!sameJson(withoutDescription(known), shape)) throw new Error(`two different schemas are titled ${title}: give one another title`);
  const reference: JsonObject = { $ref: `#/components/schemas/${title}` };
  if (description !== undefined && description !== named[title]?.description) reference.description = description;
  return reference;
}

function isSchema(node: JsonObject): boolean {
  return 'type' in node || 'anyOf' in node || 'oneOf' in node || 'allOf' in node || 'properties' in node;
}

function withoutDescription(node: JsonObject): JsonObject {
  const { description: _description, ...shape } = node;
  return shape;
}

function sameJson(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedByName(named: Record<string, JsonObject>): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b)));
}
