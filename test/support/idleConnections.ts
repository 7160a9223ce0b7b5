// TCP connections opened to a daemon that send nothing (an attacker's cheapest way to take its
// descriptors), counted as the daemon closes them; closeAll ends every one of them.
import { connect, type Socket } from 'node:net';

/** Opened this many at a time: more would only overflow the listen backlog and wait for SYN retries. */
const BATCH = 200;

export class IdleConnections {
  private readonly sockets: Socket[] = [];

  /** Opens `count` connections, each settled once connected or refused. */
  static async open(url: string, count: number): Promise<IdleConnections> {
    const held = new IdleConnections();
    const { hostname, port } = new URL(url);
    for (let opened = 0; opened < count; opened += BATCH) {
      const batch = Math.min(BATCH, count - opened);
      await Promise.all(Array.from({ length: batch }, () => held.openOne(hostname, Number(port))));
    }
    return held;
  }

  /** Connections still open (the daemon has not closed them). */
  get open(): number {
    return this.sockets.filter((socket) => !socket.destroyed).length;
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private openOne(host: string, port: number): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      this.sockets.push(socket);
      socket.once('connect', () => resolve());
      // A connection the daemon closes or resets is what is counted; the error itself is expected.
      socket.on('error', () => undefined);
      socket.once('close', () => resolve());
      // The daemon's FIN ends the socket: no half-open connection is left to the client.
      socket.on('end', () => socket.destroy());
      socket.resume();
    });
  }
}
