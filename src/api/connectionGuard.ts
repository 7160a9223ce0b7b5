// Holds the server's client connections within a number: at the limit, a new connection takes
// the place of the one idle the longest (connected without a request under way: an attacker's
// silent socket, a client's kept-alive one), or is closed at once when every held connection has
// a request under way. So idle connections cannot lock out /health or a client, and never take
// the descriptors that jobs need.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface HeldConnection {
  /** The accepted TCP socket: destroying it closes the connection, TLS or not. */
  readonly socket: Socket;
  requestsUnderWay: number;
}

export interface ConnectionCounts {
  readonly held: number;
  /** How many are held at most now. */
  readonly admitted: number;
  /** Idle connections closed to admit a new one. */
  readonly evicted: number;
  /** New connections closed at once: every held one had a request under way. */
  readonly refused: number;
}

export class ConnectionGuard {
  /**
   * By remote address and port (the same on the TCP socket and on the TLS socket over it),
   * in the order they became idle: the first idle one is the one idle the longest.
   */
  private readonly held = new Map<string, HeldConnection>();
  private evicted = 0;
  private refused = 0;

  constructor(server: Server, private readonly admitted: () => number) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.track(request, response));
  }

  counts(): ConnectionCounts {
    return { held: this.held.size, admitted: this.admitted(), evicted: this.evicted, refused: this.refused };
  }

  /** Closes every connection without a request under way (when the server closes: none would send one). */
  closeIdle(): void {
    for (const [key, connection] of this.held) {
      if (connection.requestsUnderWay > 0) continue;
      this.held.delete(key);
      connection.socket.destroy();
    }
  }

  private admit(socket: Socket): void {
    const key = keyOf(socket);
    if (key === null) {
      socket.destroy();
      return;
    }
    if (this.held.size >= this.admitted() && !this.evictIdlest()) {
      this.refused += 1;
      socket.destroy();
      return;
    }
    const connection: HeldConnection = { socket, requestsUnderWay: 0 };
    this.held.set(key, connection);
    socket.once('close', () => {
      if (this.held.get(key) === connection) this.held.delete(key);
    });
  }

  private evictIdlest(): boolean {
    for (const [key, connection] of this.held) {
      if (connection.requestsUnderWay > 0) continue;
      this.held.delete(key);
      this.evicted += 1;
      connection.socket.destroy();
      return true;
    }
    return false;
  }

  private track(request: IncomingMessage, response: ServerResponse): void {
    const key = keyOf(request.socket);
    const connection = key === null ? undefined : this.held.get(key);
    if (key === null || !connection) return;
    connection.requestsUnderWay += 1;
    response.once('close', () => {
      connection.requestsUnderWay -= 1;
      // Idle from now on: last in line to be evicted.
      if (connection.requestsUnderWay === 0 && this.held.get(key) === connection) {
        this.held.delete(key);
        this.held.set(key, connection);
      }
    });
  }
}

function keyOf(socket: Socket): string | null {
  return socket.remoteAddress === undefined ? null : `${socket.remoteAddress} ${socket.remotePort}`;
}
