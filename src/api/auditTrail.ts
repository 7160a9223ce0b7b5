// The audit trail: every request that changes something (POST, PUT, PATCH, DELETE), refused
// ones included, with when, from where, which process and how it ended; and GET /audit to read it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isoOf } from '../runtime/clock.js';
import { AUDIT_KEPT_PER_ACTOR, type AuditEntry, type AuditFilter, type StoredAuditEntry } from '../runtime/sqliteStore.js';
import type { SupervisorLogger } from '../supervisor/supervisor.js';
import { LINK_HEADER, pageOf } from './pageLinks.js';
import { errorResponses } from './schemas/errorResponses.js';
import { Nullable } from './schemas/processSchemas.js';

export interface AuditLog {
  recordAudit(entry: AuditEntry): void;
  listAudit(filter: AuditFilter): StoredAuditEntry[];
}

export interface AuditTrailOptions {
  readonly audit: AuditLog;
  readonly clock: () => number;
  readonly logger: SupervisorLogger;
}

const CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Refused before the token was accepted: not kept, or anyone could push the real entries out of
 * the trail (they still count in the request metrics).
 */
const UNAUTHENTICATED_CODES = new Set(['SIGMA_ERR_AUTH_MISSING', 'SIGMA_ERR_AUTH_INVALID', 'SIGMA_ERR_AUTH_THROTTLED']);
const PATH_KEPT_CHARACTERS = 512;
const AUDIT_LIMIT = { default: 100, max: 1000 } as const;

/** What the answer said, read while it is sent. */
const outcomes = new WeakMap<FastifyRequest, { processId: number | null; outcome: string }>();

const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer({ description: 'Increasing; never reused.' }),
    at: Type.String({ format: 'date-time', description: 'When the answer was sent.' }),
    address: Type.String({ description: 'The client address.' }),
    method: Type.String({ description: 'POST, PUT, PATCH or DELETE.' }),
    path: Type.String({ description: 'The path asked for, without the query.' }),
    processId: Nullable(Type.Integer(), 'The process concerned, when there is one.'),
    status: Type.Integer({ description: 'The HTTP status of the answer.' }),
    outcome: Type.String({
      description:
        'OK, FAILED: <reason> for an operation (on a whole partition: OK, or FAILED: <n> of <m> with the first reason); CREATED, UPDATED, DELETED; else the error code.',
    }),
    actor: Type.String({ description: 'Whose token made the request: `node`, or `token <id> of <partition>` for a partition token.' }),
  },
  { title: 'AuditEntry', description: 'One request that changed, or tried to change, something.' },
);

/** On the root instance, so that every route's answers are seen. */
export function recordChanges(app: FastifyInstance, { audit, clock, logger }: AuditTrailOptions): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (CHANGING_METHODS.has(request.method)) outcomes.set(request, readOutcome(request, reply.statusCode, payload));
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    done();
    if (!CHANGING_METHODS.has(request.method)) return;
    const answer = outcomes.get(request) ?? { processId: idFromPath(request), outcome: `status ${reply.statusCode}` };
    if (UNAUTHENTICATED_CODES.has(answer.outcome)) return;
    try {
      audit.recordAudit({
        atMs: clock(),
        address: request.ip,
        method: request.method,
        path: (request.url.split('?', 1)[0] ?? '').slice(0, PATH_KEPT_CHARACTERS),
        processId: answer.processId,
        status: reply.statusCode,
        outcome: answer.outcome,
        actor: request.scope?.kind === 'partition' ? `token ${request.scope.tokenId} of ${request.scope.partition}` : 'node',
      });
    } catch (error) {
      logger.error({ err: error }, 'cannot record a request in the audit trail');
    }
  });
}

export const auditRoutes: FastifyPluginAsyncTypebox<{ readonly audit: AuditLog }> = async (app, { audit }) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['system'],
        summary: 'Audit trail',
        description: `Every request with the token that changed or tried to change something (POST, PUT, PATCH, DELETE), newest first: when, the client address, the path, the process, the status and the outcome. Requests refused for a missing or wrong token are not kept (they count in /metrics). Each actor's entries are kept apart: its last ${AUDIT_KEPT_PER_ACTOR.accepted} accepted requests and its last ${AUDIT_KEPT_PER_ACTOR.refused} refused ones (status 400 and above), so that no one's refusals push out a change.`,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_LIMIT.max, description: `How many entries (default ${AUDIT_LIMIT.default}).` })),
            processId: Type.Optional(Type.Integer({ minimum: 1, description: 'Only the entries about this process.' })),
            actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Only the entries of this actor (`node`, or `token <id> of <partition>`).' })),
            refused: Type.Optional(Type.Boolean({ description: 'true: only the refused requests (status 400 and above); false: only the accepted ones.' })),
            after: Type.Optional(Type.Integer({ minimum: 1, description: 'The entries after this one in the list (older): the next page, as the Link header names it.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ audit: Type.Array(AuditEntrySchema, { description: 'Newest first.' }) }, { description: 'The audit trail.', headers: LINK_HEADER }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? AUDIT_LIMIT.default;
      const entries = audit.listAudit({
        limit: limit + 1,
        processId: request.query.processId ?? null,
        actor: request.query.actor ?? null,
        refused: request.query.refused ?? null,
        beforeId: request.query.after ?? null,
      });
      return { audit: pageOf(request, reply, entries, limit, (entry) => entry.id).map(({ atMs, ...entry }) => ({ ...entry, at: isoOf(atMs) })) };
    },
  );
};

function idFromPath(request: FastifyRequest): number | null {
  const id = Number((request.params as { id?: string } | undefined)?.id);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

interface AnswerBody {
  code?: string;
  processes?: { id?: number; result?: string; reason?: string }[];
}

function parsedAnswer(payload: string): AnswerBody | null {
  try {
    return JSON.parse(payload) as AnswerBody;
  } catch {
    return null;
  }
}

function readOutcome(request: FastifyRequest, statusCode: number, payload: unknown): { processId: number | null; outcome: string } {
  const body = typeof payload === 'string' && payload.startsWith('{') ? parsedAnswer(payload) : null;
  const first = body?.processes?.[0];
  const onPartition = request.routeOptions.url?.startsWith('/partitions/') === true;
  const processId = idFromPath(request) ?? (onPartition ? null : (first?.id ?? null));
  if (statusCode >= 400) return { processId, outcome: body?.code ?? `status ${statusCode}` };
  if (onPartition && body?.processes) return { processId, outcome: partitionOutcome(body.processes) };
  if (first?.result) return { processId, outcome: first.reason ? `${first.result}: ${first.reason}` : first.result };
  const done: Record<string, string> = { POST: 'CREATED', PATCH: 'UPDATED', DELETE: 'DELETED', PUT: 'OK' };
  return { processId, outcome: done[request.method] ?? 'OK' };
}

/** One outcome for an operation on every process of a partition. */
function partitionOutcome(results: NonNullable<AnswerBody['processes']>): string {
  const failed = results.filter((result) => result.result !== 'OK');
  if (failed.length === 0) return 'OK';
  return `FAILED: ${failed.length} of ${results.length}${failed[0]?.reason ? ` (${failed[0].reason})` : ''}`;
}
