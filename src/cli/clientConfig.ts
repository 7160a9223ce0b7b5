// Where the `sigma` client finds the daemon and how it proves who it is: read once from the
// command's options, the environment and the local data dir, then frozen and passed down.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from './cliExit.js';

export interface ConnectionOptions {
  url?: string;
  token?: string;
  cacert?: string;
  dataDir?: string;
}

export interface ClientConfig {
  readonly url: URL;
  readonly token: string;
  /** The certificate trusted for an https URL (pinned); null to use the system's trust store. */
  readonly ca: Buffer | null;
  /** Where the CA came from, for messages. */
  readonly caSource: string | null;
  readonly dataDir: string;
}

export const CLIENT_DEFAULTS = {
  url: 'https://127.0.0.1:8443',
  dataDir: './sigma-data',
} as const;

export function buildClientConfig(options: ConnectionOptions, env: NodeJS.ProcessEnv, cwd: string): ClientConfig {
  const dataDir = resolve(cwd, options.dataDir ?? (env.SIGMA_DATA_DIR || CLIENT_DEFAULTS.dataDir));
  const url = parseUrl(options.url ?? (env.SIGMA_URL || daemonUrlIn(dataDir) || CLIENT_DEFAULTS.url));
  const token = options.token ?? (env.SIGMA_TOKEN || readTokenFile(dataDir));
  if (!token) {
    throw new CliError(
      EXIT.unauthorized,
      `no token: pass --token or set SIGMA_TOKEN (the node token is in the daemon's <data-dir>/token; ${join(dataDir, 'token')} cannot be read)`,
    );
  }
  let ca: Buffer | null = null;
  let caSource: string | null = null;
  if (url.protocol === 'https:') {
    const explicit = options.cacert ?? (env.SIGMA_CACERT || undefined);
    if (explicit !== undefined) {
      caSource = resolve(cwd, explicit);
      ca = readOrNull(caSource);
      if (ca === null) throw new CliError(EXIT.usage, `cannot read the certificate ${caSource} (--cacert or SIGMA_CACERT): give the daemon's tls/cert.pem`);
    } else {
      caSource = join(dataDir, 'tls', 'cert.pem');
      ca = readOrNull(caSource);
      if (ca === null) caSource = null;
    }
  }
  return Object.freeze({ url, token, ca, caSource, dataDir });
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(EXIT.usage, `"${text}" is not a URL: give --url (or SIGMA_URL) like https://127.0.0.1:8443`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(EXIT.usage, `the URL must be https:// or http://, not ${url.protocol}//`);
  }
  return url;
}

/** The URL the local daemon wrote when it started listening, if it is running there. */
function daemonUrlIn(dataDir: string): string | null {
  const text = readOrNull(join(dataDir, 'daemon.json'));
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text.toString('utf8'));
    const url = (parsed as { url?: unknown }).url;
    return typeof url === 'string' && url !== '' ? url : null;
  } catch {
    return null;
  }
}

function readTokenFile(dataDir: string): string | null {
  const text = readOrNull(join(dataDir, 'token'));
  return text === null ? null : text.toString('utf8').trim() || null;
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}
