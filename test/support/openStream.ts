// An answer read while it arrives (event stream, followed log), for tests that wait on it.
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { waitFor } from './waitFor.js';

export interface OpenStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Everything received so far. */
  text(): string;
  /** Waits until what was received passes `accept`. */
  waitForText(what: string, accept: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the daemon ends the answer. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openStream(url: string, token: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    let request: ClientRequest | null = null;
    request = httpRequest(url, { headers: { authorization: `Bearer ${token}`, ...headers } }, (response) => {
      let received = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      const ended = new Promise<void>((done) => response.once('close', () => done()));
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => received,
        waitForText: (what, accept, timeoutMs) => waitFor(what, () => received, accept, timeoutMs),
        ended,
        close: () => request?.destroy(),
      });
    });
    request.on('error', reject);
    request.end();
  });
}

/** The events of an SSE text: each frame's id, event and parsed data. */
export function parseEvents(text: string): { id: string | null; event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.includes('data: '))
    .map((frame) => {
      const field = (name: string): string | null => frame.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
      return { id: field('id'), event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') };
    });
}
