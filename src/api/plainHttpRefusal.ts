// A plain-HTTP request sent to the HTTPS port gets a readable 400 that says to use https://,
// instead of a reset. The first bytes of each connection decide: a TLS handshake record starts
// with 0x16 and goes on to Node's TLS, unchanged (the bytes read are put back first); a request
// line gets the answer; anything else is closed, as TLS would have. Nothing past that first
// chunk is ever read.
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { errorBody } from './errorReplies.js';

const TLS_HANDSHAKE_RECORD = 0x16;
/** An HTTP method, a space: how a request line starts. */
const REQUEST_LINE = /^[A-Z]{3,10} /;
/** The target and Host of the request, repeated in the answer only when plainly a path and a host. */
const TARGET = /^[A-Z]{3,10} (\/[\x21-\x7e]{0,200}) HTTP\/1\.[01]\r?\n/;
const HOST = /\r?\nhost:[ \t]*([A-Za-z0-9.-]{1,253}(?::\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?)[ \t]*\r?\n/i;

/**
 * Puts the check in front of the server's TLS. `firstBytesTimeoutMs`: a connection that sends
 * nothing this long is closed (TLS's own handshake timeout starts only once it is handed over).
 */
export function answerPlainHttp(server: HttpsServer, firstBytesTimeoutMs: number): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  // Node's https server has exactly one: the TLS wrapping of each accepted socket.
  if (tlsListeners.length !== 1) throw new Error(`expected one connection listener on the HTTPS server, found ${tlsListeners.length}`);
  const [tlsListener] = tlsListeners as [(socket: Socket) => void];
  server.removeListener('connection', tlsListener);
  server.prependListener('connection', (socket: Socket) => {
    const silent = (): void => void socket.destroy();
    // Until TLS has the socket, its errors (a reset) are this code's to take.
    const failed = (): void => void socket.destroy();
    socket.setTimeout(firstBytesTimeoutMs, silent);
    socket.on('error', failed);
    socket.once('readable', () => {
      const chunk = socket.destroyed ? null : (socket.read() as Buffer | null);
      if (chunk === null || chunk.length === 0) {
        socket.destroy();
        return;
      }
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        socket.setTimeout(0);
        socket.removeListener('timeout', silent);
        socket.removeListener('error', failed);
        socket.unshift(chunk);
        tlsListener.call(server, socket);
        return;
      }
      const head = chunk.toString('latin1');
      if (REQUEST_LINE.test(head)) refuse(socket, head);
      else socket.destroy();
    });
  });
}

function refuse(socket: Socket, head: string): void {
  const host = HOST.exec(head)?.[1] ?? localAuthority(socket);
  const target = TARGET.exec(head)?.[1] ?? '/';
  const body = errorBody('SIGMA_ERR_REQUEST_INVALID', `this port speaks HTTPS, not plain HTTP: use https://${host}${target}`);
  const text = `${JSON.stringify(body)}\n`;
  socket.end(
    `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
  // Whatever else the client sends is never read: the socket closes once the answer is out.
  socket.once('finish', () => socket.destroy());
}

function localAuthority(socket: Socket): string {
  const address = socket.localAddress ?? 'localhost';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? ''}`;
}
