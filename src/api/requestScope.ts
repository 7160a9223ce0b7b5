// Whose request this is: the node token's (everything) or a partition token's (its partition only).
import type { FastifyRequest } from 'fastify';
import { OutOfScopeError } from '../errors/sigmaErrors.js';

export type RequestScope = { readonly kind: 'node' } | { readonly kind: 'partition'; readonly partition: string; readonly tokenId: number };

export const NODE_SCOPE: RequestScope = { kind: 'node' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null on the public paths it lets through without a token. */
    scope: RequestScope | null;
  }
}

/** The partition a request is confined to, or null when it may see the whole node. */
export function confinedTo(request: FastifyRequest): string | null {
  return request.scope?.kind === 'partition' ? request.scope.partition : null;
}

/** Whether the request may see what belongs to `partition`. */
export function canSee(request: FastifyRequest, partition: string): boolean {
  const confined = confinedTo(request);
  return confined === null || confined === partition;
}

export function outOfScope(request: FastifyRequest, what: string): OutOfScopeError {
  return new OutOfScopeError(`a token of partition "${confinedTo(request) ?? ''}" cannot ${what}; use the node token`);
}
