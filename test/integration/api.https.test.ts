// HTTPS: the generated certificate is what a client must trust, the generated token is saved
// 0600 and printed once, and both survive a restart on the same data dir.
import { readFileSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** A GET that trusts only the system's CAs: resolves with the status, or the TLS error's code. */
function getWithoutTrust(url: string): Promise<{ status: number } | { errorCode: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest(new URL('/health', url), { method: 'GET', rejectUnauthorized: true, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ errorCode: error.code ?? error.message }));
    req.end();
  });
}

/** Stops the daemon and returns everything it ever printed on stdout. */
async function stopAndReadStdout(daemon: SigmaDaemon): Promise<string[]> {
  await daemon.stop();
  if (daemon.child.stdout) await finished(daemon.child.stdout).catch(() => undefined);
  return daemon.stdoutLines;
}

describe('HTTPS', () => {
  it('serves over HTTPS with a generated certificate that a client has to trust', async () => {
    const daemon = await SigmaDaemon.start({ tls: true });
    expect(daemon.url).toMatch(/^https:\/\//);
    expect(statSync(join(daemon.dataDir, 'tls', 'cert.pem')).isFile()).toBe(true);

    // The harness trusts exactly <dataDir>/tls/cert.pem as CA.
    const health = await daemon.request('GET', '/health', undefined, { authorization: '' });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', leftoverJobs: 0 });
    const list = await daemon.request('GET', '/processes');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ processes: [] });
    expectError(await daemon.request('GET', '/processes', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');

    const untrusting = await getWithoutTrust(daemon.url);
    expect(untrusting).toEqual({ errorCode: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/) });
  });

  it('generates the token into <dataDir>/token (mode 0600) and prints it on stdout exactly once', async () => {
    const daemon = await SigmaDaemon.start({ tls: true, withToken: false });
    const token = daemon.token;
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(statSync(join(daemon.dataDir, 'token')).mode & 0o777).toBe(0o600);

    expect((await daemon.request('GET', '/processes')).status).toBe(200);
    expectError(await daemon.request('GET', '/processes', undefined, { authorization: 'Bearer not-the-token-000000' }), 401, 'SIGMA_ERR_AUTH_INVALID');

    const printed = await stopAndReadStdout(daemon);
    expect(printed.filter((line) => line.includes(token)), printed.join('\n')).toHaveLength(1);
  });

  it('keeps the token on a restart with the same data dir, without printing it again', async () => {
    const first = await SigmaDaemon.start({ tls: true, withToken: false });
    const created = await first.create({ name: 'survivor', command: ['sleep', '300'] });
    expect(created.status).toBe(201);
    const token = first.token;
    await stopAndReadStdout(first);

    const second = await SigmaDaemon.start({ tls: true, withToken: false, dataDir: first.dataDir });
    expect(second.token).toBe(token);
    const reply = await second.request('GET', '/processes', undefined, { authorization: `Bearer ${token}` });
    expect(reply.status).toBe(200);
    expect(reply.body.processes.map((process: { name: string }) => process.name)).toEqual(['survivor']);

    const printed = await stopAndReadStdout(second);
    expect(printed.filter((line) => line.includes(token)), printed.join('\n')).toEqual([]);
  });

  it('generates the certificate again when --host changes to an address it does not cover', async () => {
    const first = await SigmaDaemon.start({ tls: true });
    const firstCert = readFileSync(join(first.dataDir, 'tls', 'cert.pem'), 'utf8');
    expect(await first.stop()).toBe(0);

    const second = await SigmaDaemon.start({ tls: true, dataDir: first.dataDir, args: ['--host', '127.0.0.2'] });
    expect(second.url).toMatch(/^https:\/\/127\.0\.0\.2:/);
    expect(readFileSync(join(first.dataDir, 'tls', 'cert.pem'), 'utf8')).not.toBe(firstCert);
    expect(second.stdoutLines.some((line) => line.startsWith('generated a self-signed certificate for 127.0.0.2'))).toBe(true);
    // The harness trusts exactly <data-dir>/tls/cert.pem: the request verifies the new certificate.
    expect((await second.request('GET', '/health')).status).toBe(200);
  });
});
