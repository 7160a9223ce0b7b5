// /partitions: the node's partitions, their limits, operations on all their processes, and
// their tokens. Thin handlers; who may do what is decided by the scope guard (scopeGuard.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_PARTITION_QUOTAS, type PartitionLimitsSet } from '../core/partition.js';
import { isoOf } from '../runtime/clock.js';
import type { PartitionChanges } from '../supervisor/partitionChanges.js';
import type { PartitionTokens, TokenInfo } from '../supervisor/partitionTokens.js';
import type { Partitions } from '../supervisor/partitions.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { FleetRouting } from './fleetRouting.js';
import { operationResultOf } from './operationResult.js';
import { partitionView } from './partitionView.js';
import { canSee } from './requestScope.js';
import { errorResponses } from './schemas/errorResponses.js';
import {
  ChangePartitionBody,
  CreatePartitionBody,
  CreateTokenBody,
  PartitionList,
  PartitionNameParams,
  TokenIdParams,
  TokenList,
} from './schemas/partitionSchemas.js';
import { OperationResultList } from './schemas/processSchemas.js';

export interface PartitionRoutesOptions {
  readonly supervisor: Supervisor;
  readonly partitions: Partitions;
  readonly tokens: PartitionTokens;
  /** Changes: this node's alone, or the fleet's (in etcd, for every node). */
  readonly changes: PartitionChanges;
  /** In a fleet: an operation on a partition is done on every up node. */
  readonly fleet: FleetRouting | null;
  readonly clock: () => number;
}

const TAGS = ['partitions'];
const LIMIT_NAMES = ['maxRunning', 'cpu', 'memoryBytes', 'pids', 'maxProcesses', 'definitionBytes'] as const;

export const partitionRoutes: FastifyPluginAsyncTypebox<PartitionRoutesOptions> = async (app, { supervisor, partitions, tokens, changes, fleet, clock }) => {
  const NONE = { processes: 0, running: 0, definitionBytes: 0 };
  const viewOf = (name: string, counts = supervisor.countsByPartition()) =>
    partitionView(partitions.get(name), counts.get(name) ?? NONE, partitions.usageOf(name));

  app.get(
    '/partitions',
    {
      schema: {
        tags: TAGS,
        summary: 'List partitions',
        description: 'Every partition of the node, by name (for a partition token: its own), with its limits, which of them this node cannot enforce, its counts and its usage.',
        response: { 200: { ...PartitionList, description: 'The partitions.' }, ...errorResponses(401) },
      },
    },
    async (request) => {
      const counts = supervisor.countsByPartition();
      return {
        partitions: partitions
          .list()
          .filter((entry) => canSee(request, entry.definition.name))
          .map((entry) => viewOf(entry.definition.name, counts)),
      };
    },
  );

  app.post(
    '/partitions',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a partition',
        description:
          'A new partition with its limits (node token only). Answers 201 with a Location header; the answer says which limits this node cannot enforce. In a fleet (--fleet), made in etcd too, for every node (each enforces the limits on its own jobs); 503 while etcd is out of reach.',
        body: CreatePartitionBody,
        response: { 201: { ...PartitionList, description: 'The new partition.' }, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (request, reply) => {
      const { name, ...limits } = request.body;
      await changes.create({ name, ...limitsOf(limits), createdAtMs: clock() });
      reply.code(201).header('Location', `/partitions/${name}`);
      return { partitions: [viewOf(name)] };
    },
  );

  app.get(
    '/partitions/:name',
    {
      schema: {
        tags: TAGS,
        summary: 'Get a partition',
        description: 'The partition with this name: its limits, which of them this node cannot enforce, its counts and its usage.',
        params: PartitionNameParams,
        response: { 200: { ...PartitionList, description: 'The partition, alone in the array.' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => ({ partitions: [viewOf(request.params.name)] }),
  );

  app.put(
    '/partitions/:name',
    {
      schema: {
        tags: TAGS,
        summary: 'Change the limits of a partition, or operate on all its processes',
        description:
          'With `operation` (START, SUSPEND, RESUME or STOP): performed on every process of the partition at once; the answer has one result per process, by id, as PUT /processes/{id} gives (a partition token may do this on its own partition). With limits (node token only): those sent change (null removes one), the others keep theirs; the answer is the partition. A quota lowered below what the partition holds deletes nothing: it refuses the next create. In a fleet (--fleet), an operation is done on every up node (one result per process of the fleet; FAILED for those of a node that is down or does not answer), and limits change on every node.',
        params: PartitionNameParams,
        body: ChangePartitionBody,
        response: {
          200: {
            description: 'The results of the operation (`processes`), or the partition as now limited (`partitions`).',
            anyOf: [OperationResultList, PartitionList],
          },
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const name = request.params.name;
      if ('operation' in body) {
        // Known here first: a partition this node does not have is a 404 before any node acts.
        partitions.get(name);
        const elsewhere = fleet && !fleet.forwarded(request) ? fleet.operateElsewhere(request, name) : Promise.resolve([]);
        const [answers, others] = await Promise.all([supervisor.operatePartition(name, body.operation), elsewhere]);
        return { processes: [...answers.map(operationResultOf), ...others].sort((a, b) => a.id - b.id) };
      }
      const changed = LIMIT_NAMES.filter((limit) => body[limit] !== undefined);
      await changes.changeLimits(name, Object.fromEntries(changed.map((limit) => [limit, body[limit]])));
      return { partitions: [viewOf(name)] };
    },
  );

  app.delete(
    '/partitions/:name',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a partition',
        description:
          'Only once it has no processes (409 otherwise; in a fleet, on any node); its tokens are revoked with it. The default partition cannot be deleted (409). 204 with an empty body.',
        params: PartitionNameParams,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      await changes.remove(request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/partitions/:name/tokens',
    {
      schema: {
        tags: TAGS,
        summary: 'Make a partition token',
        description:
          'A token that sees and operates only this partition\'s processes (node token only). The secret is in this answer and nowhere else: the node keeps only its SHA-256. Send it as the node token is sent. In a fleet (--fleet), it opens the partition at every node.',
        params: PartitionNameParams,
        body: CreateTokenBody,
        response: { 201: { ...TokenList, description: 'The new token, with its secret.' }, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const made = await changes.createToken(request.params.name, request.body?.label ?? null, clock());
      reply.code(201).header('Cache-Control', 'no-store');
      return { tokens: [{ ...tokenView(made), token: made.token }] };
    },
  );

  app.get(
    '/partitions/:name/tokens',
    {
      schema: {
        tags: TAGS,
        summary: "List a partition's tokens",
        description: 'Their ids, labels and creation times; never their secrets (node token only).',
        params: PartitionNameParams,
        response: { 200: { ...TokenList, description: 'The tokens.' }, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      partitions.get(request.params.name);
      return { tokens: tokens.list(request.params.name).map(tokenView) };
    },
  );

  app.delete(
    '/partitions/:name/tokens/:tokenId',
    {
      schema: {
        tags: TAGS,
        summary: 'Revoke a partition token',
        description: 'The token stops working at once (node token only). 204 with an empty body.',
        params: TokenIdParams,
        response: { 204: { type: 'null', description: 'Revoked.' }, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await changes.revokeToken(request.params.name, request.params.tokenId);
      return reply.code(204).send(null);
    },
  );
};

/** A limit left out is none, but a quota left out is the default one (null sent: none). */
function limitsOf(sent: Partial<Record<(typeof LIMIT_NAMES)[number], number | null>>): PartitionLimitsSet {
  return {
    maxRunning: sent.maxRunning ?? null,
    cpu: sent.cpu ?? null,
    memoryBytes: sent.memoryBytes ?? null,
    pids: sent.pids ?? null,
    maxProcesses: sent.maxProcesses === undefined ? DEFAULT_PARTITION_QUOTAS.maxProcesses : sent.maxProcesses,
    definitionBytes: sent.definitionBytes === undefined ? DEFAULT_PARTITION_QUOTAS.definitionBytes : sent.definitionBytes,
  };
}

function tokenView(token: TokenInfo) {
  return { id: token.id, partition: token.partition, label: token.label, createdAt: isoOf(token.createdAtMs) };
}
