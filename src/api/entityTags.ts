// Conditional GETs: every JSON answer to a GET carries a strong ETag computed from its exact bytes,
// and a GET whose If-None-Match holds that tag is answered 304 without a body. Any change to what
// the answer shows changes its bytes, hence its tag; no version counter has to be kept right.
import { createHash, hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function entityTagOf(bytes: string | Uint8Array): string {
  return `"${hash('sha1', bytes, 'base64url')}"`;
}

/** The tag of the text the chunks make together, hashed a chunk at a time (a streamed list). */
export function entityTagOfChunks(chunks: Iterable<string | Uint8Array>): string {
  const hashing = createHash('sha1');
  for (const chunk of chunks) hashing.update(chunk);
  return `"${hashing.digest('base64url')}"`;
}

/** RFC 9110's weak comparison, as If-None-Match asks: `W/` is ignored, `*` matches any tag. */
export function noneMatchHolds(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = tag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((listed) => {
    const trimmed = listed.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === bare;
  });
}

/** Turns the answer into a 304: no body, and no header that describes one. */
export function notModified(reply: FastifyReply): void {
  reply.code(304);
  reply.removeHeader('content-type');
  reply.removeHeader('content-length');
}

/** Sends a GET's answer whose tag the route made itself (once, not per request): 304 without a body when the client holds the tag. */
export function sendTagged(request: FastifyRequest, reply: FastifyReply, tag: string, body: string | Buffer | Readable): FastifyReply {
  reply.header('ETag', tag);
  if (!noneMatchHolds(request.headers['if-none-match'], tag)) return reply.send(body);
  if (body instanceof Readable) body.destroy();
  notModified(reply);
  // Fastify's HEAD handler would tell the length of a body; an empty stream tells none, as a 304 may.
  return reply.send(request.method === 'HEAD' ? Readable.from([]) : undefined);
}

/** An onSend hook: tags JSON answers to GET (and HEAD, answered by the same route) and answers 304 when the client holds the tag. */
export function tagJsonAnswers(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void): void {
  const read = request.method === 'GET' || request.method === 'HEAD';
  const json = String(reply.getHeader('content-type') ?? '').startsWith('application/json');
  // A route that tags its own answer (made once, not hashed per request) has set the header.
  if (!read || !json || reply.statusCode !== 200 || typeof payload !== 'string' || reply.hasHeader('etag')) return done(null, payload);
  const tag = entityTagOf(payload);
  reply.header('ETag', tag);
  if (!noneMatchHolds(request.headers['if-none-match'], tag)) return done(null, payload);
  notModified(reply);
  // HEAD keeps the body for Fastify's HEAD handler, which drops it and tells its length, as a 304 may.
  done(null, request.method === 'HEAD' ? payload : undefined);
}
