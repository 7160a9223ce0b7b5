// Keeps a partition token inside its partition, for every route in one place: node-wide routes
// and changes of limits are refused (403), and another partition's process or partition is
// answered as if it did not exist (404), exactly as for an id or a name that is not there. What a
// confined request lists (processes, partitions, events) the routes filter with `canSee`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PartitionNotFoundError, ProcessNotFoundError } from '../errors/sigmaErrors.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { confinedTo, outOfScope } from './requestScope.js';

/** What only the node token may do, by method and route, with what the refusal says. */
const NODE_ONLY: Readonly<Record<string, string>> = {
  'GET /metrics': 'read the node-wide metrics',
  'GET /audit': "read the node's audit trail",
  'GET /node': 'read the node',
  'GET /nodes': "read the fleet's nodes",
  'POST /partitions': 'create partitions',
  'DELETE /partitions/:name': 'delete partitions',
  'POST /partitions/:name/tokens': 'make partition tokens',
  'GET /partitions/:name/tokens': 'list partition tokens',
  'DELETE /partitions/:name/tokens/:tokenId': 'revoke partition tokens',
};

/** Whether a route (`GET /audit`, as Fastify names it) refuses a partition token whatever is asked: 403. */
export function isNodeOnly(methodAndUrl: string): boolean {
  return NODE_ONLY[methodAndUrl] !== undefined;
}

/**
 * A preHandler (after validation: params are typed, bodies parsed). Public routes have no scope and
 * pass. In a fleet, a process another node holds is judged by the partition etcd records for it.
 */
export function scopeGuard(supervisor: Supervisor, partitionElsewhere: ((processId: number) => Promise<string | null>) | null) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const partition = confinedTo(request);
    if (partition === null) return done();
    // HEAD is answered by the GET route (its headers tell a body's length): it is judged as GET.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = `${method} ${request.routeOptions.url ?? ''}`;
    const refusal = NODE_ONLY[route];
    if (refusal !== undefined) return done(outOfScope(request, refusal));
    const params = request.params as { id?: number; name?: string };
    if (params.id !== undefined && request.routeOptions.url?.startsWith('/processes/:id')) {
      const reading = supervisor.find(params.id);
      const notFound = new ProcessNotFoundError(`id ${params.id}`);
      if (reading === null && partitionElsewhere) {
        partitionElsewhere(params.id).then(
          (held) => done(held === partition ? undefined : notFound),
          (error: unknown) => done(error as Error),
        );
        return;
      }
      if (reading?.definition.partition !== partition) return done(notFound);
    }
    if (params.name !== undefined && request.routeOptions.url?.startsWith('/partitions/:name') && params.name !== partition) {
      return done(new PartitionNotFoundError(params.name));
    }
    if (route === 'PUT /partitions/:name' && !('operation' in (request.body as object))) {
      return done(outOfScope(request, 'change the limits of a partition'));
    }
    done();
  };
}
