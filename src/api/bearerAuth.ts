// A token on every route but the public ones (/health, the dashboard's files, /metrics with
// --metrics-public): `Authorization: Bearer <token>`, or Basic with the token as password so a
// browser can open /docs. The node token opens everything (compared in constant time); a
// partition token opens its partition (found by its hash). Refusals are counted by the throttle.
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthThrottledError, SigmaError } from '../errors/sigmaErrors.js';
import type { PartitionTokens } from '../supervisor/partitionTokens.js';
import type { AuthThrottle } from './authThrottle.js';
import { NODE_SCOPE } from './requestScope.js';

// One call, no Hash object: this runs on every request.
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/** `publicPaths`: served to GET without a token (/health, the dashboard's files, maybe /metrics). */
export function bearerAuth(nodeToken: string, partitionTokens: PartitionTokens, publicPaths: ReadonlySet<string>, throttle: AuthThrottle) {
  const expected = digest(nodeToken);
  // A callback, not an async function: it runs on every request.
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    const path = request.url.split('?', 1)[0] ?? '';
    if ((request.method === 'GET' || request.method === 'HEAD') && publicPaths.has(path)) return done();
    const sent = tokenFrom(request.headers.authorization);
    const sentDigest = sent === null ? null : digest(sent);
    if (sentDigest !== null && timingSafeEqual(sentDigest, expected)) {
      request.scope = NODE_SCOPE;
      return done();
    }
    // The same digest finds a partition token: tokens are stored by their SHA-256.
    const opened = sent && sentDigest ? partitionTokens.partitionOfHash(sentDigest.toString('hex')) : null;
    if (opened) {
      request.scope = { kind: 'partition', ...opened };
      return done();
    }
    const throttling = throttle.recordFailure(request.ip);
    if (throttling) {
      reply.header('Retry-After', String(throttling.retryAfterSeconds));
      setTimeout(() => done(new AuthThrottledError(throttling.retryAfterSeconds)), throttling.delayMs);
      return;
    }
    const browserPage = path === '/docs' || path.startsWith('/docs/');
    reply.header('WWW-Authenticate', browserPage ? 'Basic realm="sigma", charset="UTF-8"' : 'Bearer realm="sigma"');
    done(
      sent === null
        ? new SigmaError('SIGMA_ERR_AUTH_MISSING', 'send the node token: Authorization: Bearer <token>')
        : new SigmaError('SIGMA_ERR_AUTH_INVALID', 'the token sent is neither the node token nor a partition token'),
    );
  };
}

/** The credential of `<scheme> <credential>`; anything else (extra words included) is no credential. */
function tokenFrom(header: string | undefined): string | null {
  const match = header ? /^(\S+) +(\S+) *$/.exec(header) : null;
  if (!match) return header ? '' : null;
  const [, scheme, value = ''] = match;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? '' : decoded.slice(colon + 1);
  }
  return '';
}
