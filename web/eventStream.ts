// Follows GET /events with fetch() (EventSource cannot send the token), and reconnects after a
// drop with Last-Event-ID so that nothing still in the daemon's buffer is missed.
import { ApiError, type ApiClient } from './apiClient.js';
import type { SigmaEvent } from './apiTypes.js';
import { SseParser } from './sseParser.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface EventStreamHandlers {
  onEvent(event: SigmaEvent): void;
  onStatus(status: StreamStatus, detail: string): void;
  /** The token was refused: following stops. */
  onUnauthorized(message: string): void;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10_000;

export class EventStream {
  private readonly abort = new AbortController();
  /** One parser for every connection: its last event id is what a reconnect resumes after. */
  private readonly parser = new SseParser();
  private retryMs = FIRST_RETRY_MS;

  constructor(
    private readonly api: ApiClient,
    private readonly handlers: EventStreamHandlers,
  ) {}

  start(): void {
    void this.follow();
  }

  close(): void {
    this.abort.abort();
  }

  private async follow(): Promise<void> {
    this.handlers.onStatus('connecting', '');
    while (!this.abort.signal.aborted) {
      let detail = 'the event stream ended';
      try {
        await this.readOnce();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          this.handlers.onUnauthorized(error.message);
          return;
        }
        detail = error instanceof Error ? error.message : String(error);
      }
      if (this.abort.signal.aborted) return;
      this.handlers.onStatus('reconnecting', detail);
      await delay(this.retryMs, this.abort.signal);
      this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    }
  }

  private async readOnce(): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    // What a dropped connection left half-read is not an event; an id-only block before it counts.
    this.parser.dropPartial();
    if (this.parser.lastEventId) headers['last-event-id'] = this.parser.lastEventId;
    const response = await this.api.openStream('events', this.abort.signal, headers);
    if (!response.body) throw new Error('the event stream has no body');
    this.handlers.onStatus('live', '');
    this.retryMs = FIRST_RETRY_MS;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const message of this.parser.push(value)) {
        const event = parseEvent(message.data);
        if (event) this.handlers.onEvent(event);
      }
    }
  }
}

function parseEvent(data: string): SigmaEvent | null {
  try {
    const parsed = JSON.parse(data) as SigmaEvent;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.type === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
