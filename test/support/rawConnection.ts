// A raw TCP connection to the daemon whose received bytes and close are observed, for what an
// HTTP client library would hide (a reply to plain HTTP on the TLS port, a connection closed).
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  received(): string;
  closed(): boolean;
}

const opened: Socket[] = [];

export function rawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    opened.push(socket);
    let received = '';
    let closed = false;
    socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('end', () => socket.destroy());
    socket.once('close', () => (closed = true));
    socket.once('connect', () => resolve({ socket, received: () => received, closed: () => closed }));
    socket.once('error', reject);
  });
}

/** Ends every raw connection opened so far. */
export function destroyRawConnections(): void {
  for (const socket of opened.splice(0)) socket.destroy();
}
