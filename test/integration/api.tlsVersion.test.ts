// TLS 1.2 is the oldest protocol the daemon speaks: a client offering only TLS 1.0 or 1.1 is
// refused by the server during the handshake, while 1.2 and 1.3 are taken.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** The protocol agreed, or the error that ended the handshake. */
function handshake(daemon: SigmaDaemon, minVersion: SecureVersion, maxVersion: SecureVersion): Promise<{ protocol: string | null } | { error: string }> {
  const { hostname, port } = new URL(daemon.url);
  return new Promise((resolve) => {
    const socket = connect({
      host: hostname,
      port: Number(port),
      ca: readFileSync(join(daemon.dataDir, 'tls', 'cert.pem')),
      minVersion,
      maxVersion,
      // Lets this client offer the old protocols at all, so that it is the server that refuses.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ error: `${error.code ?? ''} ${error.message}` }));
  });
}

it('refuses TLS 1.0 and 1.1, and speaks 1.2 and 1.3', async () => {
  const daemon = await SigmaDaemon.start({ tls: true });
  expect(await handshake(daemon, 'TLSv1.3', 'TLSv1.3')).toEqual({ protocol: 'TLSv1.3' });
  expect(await handshake(daemon, 'TLSv1.2', 'TLSv1.2')).toEqual({ protocol: 'TLSv1.2' });
  for (const old of ['TLSv1', 'TLSv1.1'] as const) {
    const result = await handshake(daemon, old, old);
    expect(result, old).toHaveProperty('error');
    // The server's alert, not the client declining to try.
    expect((result as { error: string }).error, old).toMatch(/alert protocol version|unsupported protocol|ALERT_PROTOCOL_VERSION/i);
  }
});
