// TLS 1.2 is the oldest protocol the daemon speaks: a client offering only TLS 1.0 or 1.1 is
// refused by the server during the handshake, while 1.2 and 1.3 are taken; in TLS 1.2 only ECDHE
// with AES-GCM or ChaCha20-Poly1305 is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** The protocol agreed, or the error that ended the handshake. */
function handshake(
  daemon: SigmaDaemon,
  minVersion: SecureVersion,
  maxVersion: SecureVersion,
  // Lets this client offer the old protocols and suites at all, so that it is the server that refuses.
  ciphers = 'DEFAULT@SECLEVEL=0',
): Promise<{ protocol: string | null; cipher?: string } | { error: string }> {
  const { hostname, port } = new URL(daemon.url);
  return new Promise((resolve) => {
    const socket = connect({
      host: hostname,
      port: Number(port),
      ca: readFileSync(join(daemon.dataDir, 'tls', 'cert.pem')),
      minVersion,
      maxVersion,
      ciphers,
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol(), ...(maxVersion === 'TLSv1.2' ? { cipher: socket.getCipher().name } : {}) });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ error: `${error.code ?? ''} ${error.message}` }));
  });
}

it('refuses TLS 1.0 and 1.1, and speaks 1.2 and 1.3', async () => {
  const daemon = await SigmaDaemon.start({ tls: true });
  expect(await handshake(daemon, 'TLSv1.3', 'TLSv1.3')).toEqual({ protocol: 'TLSv1.3' });
  expect(await handshake(daemon, 'TLSv1.2', 'TLSv1.2')).toMatchObject({ protocol: 'TLSv1.2' });
  for (const old of ['TLSv1', 'TLSv1.1'] as const) {
    const result = await handshake(daemon, old, old);
    expect(result, old).toHaveProperty('error');
    // The server's alert, not the client declining to try.
    expect((result as { error: string }).error, old).toMatch(/alert protocol version|unsupported protocol|ALERT_PROTOCOL_VERSION/i);
  }
});

it('offers in TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305', async () => {
  const daemon = await SigmaDaemon.start({ tls: true });
  // The generated key is ECDSA; each suite offered alone.
  for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
    expect(await handshake(daemon, 'TLSv1.2', 'TLSv1.2', `${cipher}@SECLEVEL=0`), cipher).toEqual({ protocol: 'TLSv1.2', cipher });
  }
  // CBC with SHA-1 or SHA-2, without ECDHE (static RSA key exchange) or with it: Node's defaults offer some of these.
  for (const cipher of ['AES128-SHA', 'AES256-SHA', 'AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384']) {
    const result = await handshake(daemon, 'TLSv1.2', 'TLSv1.2', `${cipher}@SECLEVEL=0`);
    expect(result, cipher).toHaveProperty('error');
    expect((result as { error: string }).error, cipher).toMatch(/handshake failure|HANDSHAKE_FAILURE/i);
  }
  // TLS 1.3 keeps its suites.
  expect(await handshake(daemon, 'TLSv1.3', 'TLSv1.3')).toEqual({ protocol: 'TLSv1.3' });
});
