// The answers that stay open (event stream, followed logs): counted against a limit, ended
// when their client goes away, when the partition token they were opened with is revoked, and
// all ended when the daemon closes. Partition tokens get a share of the slots each, and never the
// last ones: those are the node token's, so that no partition token can lock the operator out.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ShuttingDownError, TooManyStreamsError } from '../errors/sigmaErrors.js';

/** A partition token holds at most this fraction of --max-streams (at least one), and as many are kept for the node token. */
const SHARE_DIVISOR = 8;

export class LiveStreams {
  private readonly open = new Set<AbortController>();
  /** The streams opened with each partition token, by token id. */
  private readonly byToken = new Map<number, Set<AbortController>>();
  private closing = false;
  /** The most one partition token holds. */
  private readonly perPartitionToken: number;
  /** The most all partition tokens hold together: the rest is the node token's. */
  private readonly partitionMax: number;

  constructor(private readonly maxOpen: number) {
    this.perPartitionToken = Math.max(1, Math.floor(maxOpen / SHARE_DIVISOR));
    this.partitionMax = maxOpen - this.perPartitionToken;
  }

  /** Aborts when the client disconnects or the daemon closes, or when the caller ends it; throws past the limits. */
  begin(request: FastifyRequest, reply: FastifyReply): AbortController {
    if (this.closing) throw new ShuttingDownError();
    const tokenId = request.scope?.kind === 'partition' ? request.scope.tokenId : null;
    this.checkRoom(tokenId);
    // Not cached nor buffered on the way, and closed with the answer: a kept-alive connection
    // would hold the daemon's shutdown.
    reply.headers({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no', Connection: 'close' });
    const controller = new AbortController();
    this.open.add(controller);
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

  private checkRoom(tokenId: number | null): void {
    if (this.open.size >= this.maxOpen) {
      throw new TooManyStreamsError(`${this.maxOpen} streams are open already (--max-streams); close one and try again`);
    }
    if (tokenId === null) return;
    const held = this.byToken.get(tokenId)?.size ?? 0;
    if (held >= this.perPartitionToken) {
      throw new TooManyStreamsError(`this partition token holds ${held} streams, the most one partition token may (an eighth of --max-streams); close one and try again`);
    }
    const partitionHeld = [...this.byToken.values()].reduce((sum, opened) => sum + opened.size, 0);
    if (partitionHeld >= this.partitionMax) {
      throw new TooManyStreamsError(
        `partition tokens hold ${partitionHeld} streams, all they may: the other ${this.maxOpen - this.partitionMax} of --max-streams are kept for the node token; close one and try again`,
      );
    }
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
