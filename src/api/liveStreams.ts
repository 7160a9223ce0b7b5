// The answers that stay open (event stream, followed logs): counted against a limit, ended
// when their client goes away, when the partition token they were opened with is revoked, and
// all ended when the daemon closes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ShuttingDownError, TooManyStreamsError } from '../errors/sigmaErrors.js';

export class LiveStreams {
  private readonly open = new Set<AbortController>();
  /** The streams opened with each partition token, by token id. */
  private readonly byToken = new Map<number, Set<AbortController>>();
  private closing = false;

  constructor(private readonly maxOpen: number) {}

  /** Aborts when the client disconnects or the daemon closes, or when the caller ends it; throws past the limit. */
  begin(request: FastifyRequest, reply: FastifyReply): AbortController {
    if (this.closing) throw new ShuttingDownError();
    if (this.open.size >= this.maxOpen) throw new TooManyStreamsError(this.maxOpen);
    // Not cached nor buffered on the way, and closed with the answer: a kept-alive connection
    // would hold the daemon's shutdown.
    reply.headers({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no', Connection: 'close' });
    const controller = new AbortController();
    this.open.add(controller);
    const tokenId = request.scope?.kind === 'partition' ? request.scope.tokenId : null;
    if (tokenId !== null) this.byToken.set(tokenId, (this.byToken.get(tokenId) ?? new Set()).add(controller));
    const end = (): void => {
      this.open.delete(controller);
      if (tokenId !== null) this.forget(tokenId, controller);
      controller.abort();
    };
    controller.signal.addEventListener('abort', end, { once: true });
    // The response closes when the client goes away (the request may close as soon as it is read).
    reply.raw.once('close', end);
    return controller;
  }

  /** The token was revoked (or its partition deleted): what it still reads ends now. */
  endOpenedWith(tokenId: number): void {
    for (const controller of [...(this.byToken.get(tokenId) ?? [])]) controller.abort();
  }

  private forget(tokenId: number, controller: AbortController): void {
    const opened = this.byToken.get(tokenId);
    opened?.delete(controller);
    if (opened?.size === 0) this.byToken.delete(tokenId);
  }

  endAll(): void {
    this.closing = true;
    for (const controller of [...this.open]) controller.abort();
  }

  get isClosing(): boolean {
    return this.closing;
  }
}
