// One request sent many times over a few kept-alive connections, each written in batches without
// waiting for the answers (HTTP/1.1 pipelining): a flood the daemon serves as fast as it can,
// without a client's cost per request. Answers are counted by status.
import { connect, type Socket } from 'node:net';

/** Each connection writes this many requests, then waits for their answers. */
const BATCH = 100;
/** A connection that hears nothing for this long has failed. */
const SILENCE_MS = 30_000;

export interface FloodRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` `total` times over `connections` connections (plain HTTP); the answers' statuses, counted. */
export async function pipelinedFlood(baseUrl: string, request: FloodRequest, total: number, connections = 4): Promise<Map<number, number>> {
  const { hostname, port } = new URL(baseUrl);
  const body = Buffer.from(request.body, 'utf8');
  const headerLines = Object.entries({ host: `${hostname}:${port}`, ...request.headers, 'content-length': String(body.length) }).map(([name, value]) => `${name}: ${value}\r\n`);
  const wire = `${request.method} ${request.path} HTTP/1.1\r\n${headerLines.join('')}\r\n${request.body}`;
  const statuses = new Map<number, number>();
  let unsent = total;
  const sendOn = async (): Promise<void> => {
    const socket = connect(Number(port), hostname);
    socket.setTimeout(SILENCE_MS);
    try {
      while (unsent > 0) {
        const count = Math.min(BATCH, unsent);
        unsent -= count;
        await answersOf(socket, wire.repeat(count), count, statuses);
      }
    } finally {
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, sendOn));
  return statuses;
}

/** Writes `requests` and resolves once `count` answers have begun (by their status lines). */
function answersOf(socket: Socket, requests: string, count: number, statuses: Map<number, number>): Promise<void> {
  return new Promise((resolve, reject) => {
    let heard = 0;
    let pending = '';
    const done = (error?: Error): void => {
      socket.off('data', onData).off('error', done).off('timeout', onTimeout).off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('latin1');
      const statusLine = /HTTP\/1\.1 (\d{3}) /g;
      let end = 0;
      for (let match = statusLine.exec(pending); match; match = statusLine.exec(pending)) {
        const status = Number(match[1]);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        heard += 1;
        end = statusLine.lastIndex;
      }
      // A status line cut between two chunks is read whole with the next.
      pending = pending.slice(Math.max(end, pending.length - 16));
      if (heard >= count) done();
    };
    const onTimeout = (): void => done(new Error(`${heard} of ${count} answers within ${SILENCE_MS} ms of silence`));
    const onClose = (): void => done(new Error(`the connection closed after ${heard} of ${count} answers`));
    socket.on('data', onData).on('error', done).on('timeout', onTimeout).on('close', onClose);
    socket.write(requests);
  });
}
