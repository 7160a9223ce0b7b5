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
  const localUrlText = daemonUrlIn(dataDir);
  const explicitUrlText = options.url ?? (env.SIGMA_URL || undefined);
  const url = parseUrl(explicitUrlText ?? localUrlText ?? CLIENT_DEFAULTS.url);
  // The data dir's token and certificate belong to its own daemon: they go only to the URL that
  // data dir names, never to whatever address a flag or the environment points at.
  const toLocalDaemon = explicitUrlText === undefined || (localUrlText !== null && sameUrl(url, localUrlText));
  const token = options.token ?? (env.SIGMA_TOKEN || (toLocalDaemon ? readTokenFile(dataDir) : null));
  if (!token) {
    if (!toLocalDaemon) {
      throw new CliError(
        EXIT.usage,
        `${url.origin} is not the daemon of ${dataDir}, so its token is not sent there: pass that daemon's token with --token or SIGMA_TOKEN`,
      );
    }
    throw new CliError(
      EXIT.unauthorized,
      `no token: pass --token or set SIGMA_TOKEN (the node token is in the daemon's <data-dir>/token; ${join(dataDir, 'token')} cannot be read)`,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new CliError(
      EXIT.usage,
      `refusing to send the token in clear text over http:// to ${url.host}, which is not this machine: use https:// (or http:// only to 127.0.0.1, ::1 or localhost)`,
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
    } else if (toLocalDaemon) {
      caSource = join(dataDir, 'tls', 'cert.pem');
      ca = readOrNull(caSource);
      if (ca === null) caSource = null;
    }
  }
  return Object.freeze({ url, token, ca, caSource, dataDir });
}

/** Whether a URL given explicitly is the one the local daemon wrote (spelled alike once parsed). */
function sameUrl(url: URL, localText: string): boolean {
  try {
    return new URL(localText).origin === url.origin;
  } catch {
    return false;
  }
}

/** Names that reach this machine only: a token sent to them in clear text never crosses a network. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  // 127.0.0.0/8, also written as an IPv4-mapped IPv6 address (the URL parser gives it in hex).
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
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
