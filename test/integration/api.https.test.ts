// HTTPS: the generated certificate is what a client must trust (a leaf, never a CA), the
// generated token is saved 0600 and printed once, and both survive a restart on the same data dir.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
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

/** The certificate the daemon serves, as the handshake gives it. */
function servedCertificate(daemon: SigmaDaemon): Promise<X509Certificate> {
  const { hostname, port } = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readFileSync(join(daemon.dataDir, 'tls', 'cert.pem')) });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerX509Certificate() as X509Certificate);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** The extensions of a PEM certificate that make it a leaf or a CA, as `openssl x509` prints them. */
function opensslExtensions(certPath: string): string {
  return execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-ext', 'basicConstraints,keyUsage,extendedKeyUsage'], { encoding: 'utf8' });
}

/** `curl --cacert` as docs/walkthrough.md shows it: the body, or curl's error. */
function curlHealth(daemon: SigmaDaemon, extra: string[] = []): string {
  return execFileSync('curl', ['-sS', '--max-time', '10', '--cacert', join(daemon.dataDir, 'tls', 'cert.pem'), ...extra, `${daemon.url}/health`], { encoding: 'utf8' });
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

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

  it('generates a leaf, not a CA: CA:FALSE, digitalSignature, serverAuth, which curl and Node trust when pinned', async () => {
    const daemon = await SigmaDaemon.start({ tls: true });
    const certPath = join(daemon.dataDir, 'tls', 'cert.pem');
    const served = await servedCertificate(daemon);
    expect(served.raw.equals(new X509Certificate(readFileSync(certPath)).raw), 'the served certificate is cert.pem').toBe(true);
    expect(served.ca).toBe(false);
    expect(served.keyUsage).toEqual([SERVER_AUTH]);
    expect(served.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(served.checkHost('localhost')).toBe('localhost');
    expect(served.checkIP('::1')).toBe('::1');
    const extensions = opensslExtensions(certPath);
    expect(extensions).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(extensions).toMatch(/Key Usage: critical\s+Digital Signature\s*\n/);
    expect(extensions).not.toMatch(/Certificate Sign/);
    expect(extensions).toMatch(/Extended Key Usage:\s*\n\s+TLS Web Server Authentication\s*\n/);
    // Pinned as docs/walkthrough.md says (the harness's requests pin it through Node's `ca` too).
    expect(curlHealth(daemon)).toBe('{"status":"ok","leftoverJobs":0}\n');
    expect(curlHealth(daemon, ['--tlsv1.2', '--tls-max', '1.2'])).toBe('{"status":"ok","leftoverJobs":0}\n');
    expect((await daemon.request('GET', '/health')).status).toBe(200);
  });

  it('generates the certificate again when the one in the data dir is a CA (as an earlier version made)', async () => {
    const first = await SigmaDaemon.start({ tls: true });
    expect(await first.stop()).toBe(0);
    const certPath = join(first.dataDir, 'tls', 'cert.pem');
    // What sigma generated before: the same names, but CA:TRUE and keyCertSign.
    const { generate } = await import('selfsigned');
    const old = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
      ],
    });
    writeFileSync(certPath, old.cert);
    writeFileSync(join(first.dataDir, 'tls', 'key.pem'), old.private, { mode: 0o600 });
    expect(new X509Certificate(old.cert).ca).toBe(true);

    const second = await SigmaDaemon.start({ tls: true, dataDir: first.dataDir });
    expect(second.stdoutLines.some((line) => line.startsWith('generated a self-signed certificate for 127.0.0.1'))).toBe(true);
    const now = readFileSync(certPath, 'utf8');
    expect(now).not.toBe(old.cert);
    expect(new X509Certificate(now).ca).toBe(false);
    expect((await servedCertificate(second)).ca).toBe(false);
    expect(curlHealth(second)).toBe('{"status":"ok","leftoverJobs":0}\n');
    expect(await second.stop()).toBe(0);

    // A leaf is kept from one start to the next.
    const third = await SigmaDaemon.start({ tls: true, dataDir: first.dataDir });
    expect(readFileSync(certPath, 'utf8')).toBe(now);
    expect(third.stdoutLines.some((line) => line.startsWith('generated a self-signed certificate'))).toBe(false);
  });
});
