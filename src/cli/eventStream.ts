// Reads GET /events for as long as the user wants: on a dropped connection it reconnects with
// Last-Event-ID, so nothing still in the daemon's buffer is missed.
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT } from './cliExit.js';
import type { StreamHandle } from './sigmaClient.js';
import { SseParser, type SseMessage } from './sseParser.js';

export interface EventSource {
  stream(path: string, headers: Record<string, string>): Promise<StreamHandle>;
}

export interface FollowEventsOptions {
  onMessage(message: SseMessage): void;
  /** A line for the user about the connection (lost, back). */
  onNotice(text: string): void;
  /** Called once, when the stream is first open. */
  onConnected?(): void;
  /** Resolves when the user wants to stop. */
  interrupted: Promise<void>;
  /** Start after this event id (sent as Last-Event-ID on the first request too). */
  lastEventId?: string | null;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

const DEFAULT_FIRST_RETRY_MS = 250;
const DEFAULT_MAX_RETRY_MS = 5000;

/** Returns when interrupted; throws when the first connection fails or the token is refused. */
export async function followEvents(source: EventSource, options: FollowEventsOptions): Promise<void> {
  const parser = new SseParser();
  parser.resumeAfter(options.lastEventId ?? null);
  const firstRetryMs = options.firstRetryMs ?? DEFAULT_FIRST_RETRY_MS;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
  let interrupted = false;
  const whenInterrupted = options.interrupted.then(() => {
    interrupted = true;
    return 'interrupted' as const;
  });
  let everConnected = false;
  let retryMs = firstRetryMs;
  let lostSince: string | null = null;
  while (!interrupted) {
    let handle: StreamHandle | null = null;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (parser.lastEventId) headers['last-event-id'] = parser.lastEventId;
      handle = await source.stream('/events', headers);
    } catch (error) {
      const fatal = !(error instanceof CliError) || !everConnected || error.exitCode === EXIT.unauthorized || error.exitCode === EXIT.notFound;
      if (fatal) throw error;
      if (lostSince === null) {
        lostSince = error.message;
        options.onNotice(`lost the event stream; reconnecting (${error.message})`);
      }
    }
    if (handle) {
      if (lostSince !== null) options.onNotice(`event stream back; resumed after event ${parser.lastEventId ?? '(none)'}`);
      if (!everConnected) options.onConnected?.();
      everConnected = true;
      lostSince = null;
      retryMs = firstRetryMs;
      await readUntilClosed(handle, parser, options.onMessage, whenInterrupted);
      if (interrupted) return;
      parser.dropPartial();
      lostSince = 'the daemon closed it';
      options.onNotice('the daemon closed the event stream; reconnecting');
    }
    // An abortable wait, so that Ctrl-C leaves no timer behind to hold the command open.
    const wait = new AbortController();
    const outcome = await Promise.race([sleep(retryMs, 'slept' as const, { signal: wait.signal }).catch(() => 'slept' as const), whenInterrupted]);
    wait.abort();
    if (outcome === 'interrupted') return;
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  }
}

async function readUntilClosed(
  handle: StreamHandle,
  parser: SseParser,
  onMessage: (message: SseMessage) => void,
  interrupted: Promise<'interrupted'>,
): Promise<void> {
  const { response } = handle;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    for (const message of parser.push(chunk)) onMessage(message);
  });
  // 'error' (a reset connection) is followed by 'close'; listening keeps it from being thrown.
  response.on('error', () => {});
  const closed = new Promise<'closed'>((resolve) => response.once('close', () => resolve('closed')));
  const outcome = await Promise.race([closed, interrupted]);
  if (outcome === 'interrupted') handle.close();
}
