// The event stream reader against a small local SSE server: it resumes after a dropped connection
// with Last-Event-ID, and a refused first connection or token ends it with the right exit status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/cli/cliExit.js';
import { buildClientConfig } from '../../src/cli/clientConfig.js';
import { followEvents } from '../../src/cli/eventStream.js';
import { SigmaClient } from '../../src/cli/sigmaClient.js';
import type { SseMessage } from '../../src/cli/sseParser.js';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clientOf(url: string): SigmaClient {
  return new SigmaClient(buildClientConfig({ url, token: 'a-token-of-sixteen-chars' }, {}, '/'));
}

const event = (id: number): string => `id: ${id}\nevent: state\ndata: {"id":${id}}\n\n`;

describe('followEvents', () => {
  it('reconnects after a dropped connection with Last-Event-ID and misses nothing', async () => {
    const seenLastEventIds: Array<string | undefined> = [];
    const url = await serve((request, response) => {
      seenLastEventIds.push(request.headers['last-event-id'] as string | undefined);
      expect(request.headers.authorization).toBe('Bearer a-token-of-sixteen-chars');
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seenLastEventIds.length === 1) {
        response.write(`: ping\n\n${event(1)}${event(2)}id: 3\ndata: {"cut`);
        setTimeout(() => response.socket?.destroy(), 50);
      } else {
        response.write(event(3));
      }
    });
    const messages: SseMessage[] = [];
    const notices: string[] = [];
    let stop: () => void = () => {};
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    const following = followEvents(clientOf(url), {
      interrupted,
      firstRetryMs: 10,
      onNotice: (text) => notices.push(text),
      onMessage: (message) => {
        messages.push(message);
        if (message.id === '3') stop();
      },
    });
    await following;
    expect(messages.map((message) => message.data)).toEqual(['{"id":1}', '{"id":2}', '{"id":3}']);
    expect(seenLastEventIds).toEqual([undefined, '2']);
    expect(notices.some((notice) => notice.includes('reconnecting'))).toBe(true);
  });

  it('ends with "unauthorized" when the token is refused, and "unreachable" when nothing listens', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ statusCode: 401, code: 'SIGMA_ERR_AUTH_INVALID', error: 'Unauthorized', message: 'wrong token' }));
    });
    const never = new Promise<void>(() => {});
    const options = { interrupted: never, onNotice: () => {}, onMessage: () => {} };
    await expect(followEvents(clientOf(url), options)).rejects.toMatchObject({ exitCode: EXIT.unauthorized });
    server?.close();
    const refused = await followEvents(clientOf(url), options).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CliError);
    expect(refused).toMatchObject({ exitCode: EXIT.unreachable, message: expect.stringContaining('ECONNREFUSED') });
  });
});
