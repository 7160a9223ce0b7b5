// What the OpenAPI document says of every route beyond its own schema: the operationId a generated
// client names its method after, and the answers any route of its kind can give (those Node's
// parser, the token check or the body reader give before the handler runs), so that a client
// generated from the document knows every status it may meet.
import type { RouteOptions } from 'fastify';
import { isNodeOnly } from './scopeGuard.js';
import { errorResponses } from './schemas/errorResponses.js';

/** One per documented operation, by `METHOD path`; a documented route missing here stops the daemon at start. */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /health': 'getHealth',
  'GET /openapi.json': 'getOpenApiDocument',
  'GET /node': 'getNode',
  'GET /nodes': 'listNodes',
  'GET /audit': 'listAuditEntries',
  'GET /metrics': 'getMetrics',
  'GET /events': 'streamEvents',
  'GET /processes': 'listProcesses',
  'POST /processes': 'createProcess',
  'GET /processes/:id': 'getProcess',
  'PUT /processes/:id': 'operateProcess',
  'PATCH /processes/:id': 'updateProcess',
  'DELETE /processes/:id': 'deleteProcess',
  'GET /processes/:id/runs': 'listRuns',
  'GET /processes/:id/logs': 'getLogs',
  'GET /partitions': 'listPartitions',
  'POST /partitions': 'createPartition',
  'GET /partitions/:name': 'getPartition',
  'PUT /partitions/:name': 'updatePartition',
  'DELETE /partitions/:name': 'deletePartition',
  'POST /partitions/:name/tokens': 'createPartitionToken',
  'GET /partitions/:name/tokens': 'listPartitionTokens',
  'DELETE /partitions/:name/tokens/:tokenId': 'revokePartitionToken',
};

/** Answered before routing, to any request: malformed HTTP (400), too slow (408), headers too large (431). */
const ANY_ROUTE_STATUSES = [400, 408, 431];
/** Answered by the token check: missing or wrong (401), too many wrong ones from the address (429). */
const TOKEN_STATUSES = [401, 429];
/** Answered by the body reader: too large (413), not JSON (415). */
const BODY_STATUSES = [413, 415];
const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before the next try.' } };
/** A JSON answer to a GET carries an ETag (entityTags.ts); If-None-Match holding it gets this. */
const NOT_MODIFIED = {
  description: 'Not modified: If-None-Match held the ETag this answer would carry. No body.',
  headers: { ETag: { type: 'string', description: 'The tag of the answer, unchanged.' } },
};

type RouteSchema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean;
  security?: unknown[];
  operationId?: string;
  response?: Record<string, unknown>;
};

/** An `onRoute` hook: completes each documented route's schema (a copy: schemas are shared between routes). */
export function documentRoute(route: RouteOptions): void {
  const schema = route.schema as RouteSchema | undefined;
  if (!schema || schema.hide) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // The HEAD twin Fastify adds to each GET is not an operation of the document.
  const method = methods.find((name) => name !== 'HEAD');
  if (method === undefined) return;
  const key = `${method} ${route.url}`;
  const operationId = OPERATION_IDS[key];
  if (operationId === undefined) throw new Error(`route ${key} has no operationId in src/api/routeDocumentation.ts`);
  const statuses = [
    ...ANY_ROUTE_STATUSES,
    ...(schema.security?.length === 0 ? [] : TOKEN_STATUSES),
    // A partition token is refused what only the node token may do.
    ...(isNodeOnly(`${method} ${route.url}`) ? [403] : []),
    ...(['POST', 'PUT', 'PATCH'].includes(method) ? BODY_STATUSES : []),
  ];
  const response: Record<string, unknown> = { ...schema.response };
  for (const [status, described] of Object.entries(errorResponses(...statuses))) {
    if (response[status] !== undefined) continue;
    response[status] = status === '429' ? { ...described, headers: RETRY_AFTER } : described;
  }
  // A 200 given as `content` is not JSON (metrics, logs, events): it carries no ETag.
  const ok = response['200'] as { content?: unknown } | undefined;
  if (method === 'GET' && ok !== undefined && ok.content === undefined) response['304'] = NOT_MODIFIED;
  route.schema = { ...schema, operationId, response };
}
