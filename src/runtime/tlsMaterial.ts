// The TLS key and certificate: the operator's files, or a self-signed pair generated once
// into the data dir (for localhost, 127.0.0.1, ::1 and the listening host). The generated
// certificate is a leaf (CA:FALSE, serverAuth): clients pin it as their one trust anchor, and
// trusting it vouches for nothing else its key might sign.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { readOwnFile, replaceOwnFile } from './ownFiles.js';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  readonly certPath: string;
  readonly generated: boolean;
}

export function generatedCertPaths(dataDir: string): { certPath: string; keyPath: string } {
  return { certPath: join(dataDir, 'tls', 'cert.pem'), keyPath: join(dataDir, 'tls', 'key.pem') };
}

export async function loadTlsMaterial(options: {
  dataDir: string;
  host: string;
  certPath: string | null;
  keyPath: string | null;
}): Promise<TlsMaterial> {
  if (options.certPath && options.keyPath) {
    return {
      key: readFileSync(options.keyPath, 'utf8'),
      cert: readFileSync(options.certPath, 'utf8'),
      certPath: options.certPath,
      generated: false,
    };
  }
  const { certPath, keyPath } = generatedCertPaths(options.dataDir);
  const cert = readOwnFile(certPath);
  const key = readOwnFile(keyPath);
  // A generated certificate follows --host: one made for another host is made again, and so is
  // a CA made by an earlier version.
  if (cert !== null && key !== null && isCurrentLeaf(cert, options.host)) return { key, cert, certPath, generated: false };
  const pems = await generateSelfSigned(options.host);
  mkdirSync(join(options.dataDir, 'tls'), { recursive: true, mode: 0o700 });
  replaceOwnFile(keyPath, pems.private, 0o600);
  replaceOwnFile(certPath, pems.cert, 0o644);
  return { key: pems.private, cert: pems.cert, certPath, generated: true };
}

function isCurrentLeaf(certPem: string, host: string): boolean {
  const cert = new X509Certificate(certPem);
  if (cert.ca) return false;
  if (host === '0.0.0.0' || host === '::') return true;
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

async function generateSelfSigned(host: string): Promise<{ private: string; cert: string }> {
  const names = new Set(['localhost', '127.0.0.1', '::1', host]);
  const altNames = [...names]
    .filter((name) => name !== '0.0.0.0' && name !== '::')
    .map((name) => (isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }));
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 5);
  // Loaded only when a certificate is made: the daemon does not carry it in memory otherwise.
  const { generate } = await import('selfsigned');
  return generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'sigma' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    // An EC key signs (digitalSignature); it never enciphers a key, as an RSA one would.
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
}
