// Ids in a path are written in plain decimal: `01`, `+1`, `1e0` or `0x1` would also convert to 1
// (the schema's coercion takes them), and are refused here, on every route, before validation.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestInvalidError } from '../errors/sigmaErrors.js';

const PLAIN_ID = /^[1-9][0-9]{0,15}$/;
const ID_PARAMS = ['id', 'tokenId'] as const;

export function plainDecimalIds(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const params = request.params as Partial<Record<(typeof ID_PARAMS)[number], string>> | undefined;
  for (const name of ID_PARAMS) {
    const value = params?.[name];
    if (value !== undefined && !PLAIN_ID.test(value)) {
      return done(new RequestInvalidError(`params.${name} must be a positive integer in plain decimal, not "${value}"`));
    }
  }
  done();
}
