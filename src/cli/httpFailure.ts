// Turns what can go wrong on the way to the daemon into one-line messages that say what to do,
// each with its documented exit status.
import { CliError, EXIT } from './cliExit.js';
import type { ClientConfig } from './clientConfig.js';

/** Works in a clone of sigma (its package's bin is `sigma`) as well as where sigma is installed. */
const START_HINT = 'start it with `npx sigma serve` in sigma\'s directory (`npm start` there builds it first)';

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** A failure before any answer arrived: nothing listening, a wrong URL, an untrusted certificate. */
export function connectionFailure(error: NodeJS.ErrnoException, config: ClientConfig): CliError {
  const at = config.url.origin;
  const code = error.code ?? '';
  if (CERTIFICATE_ERROR.test(code)) {
    const trusted = config.caSource ? `the certificate in ${config.caSource}` : 'the system certificates';
    return new CliError(
      EXIT.unreachable,
      `cannot verify the certificate of ${at} (${code}) with ${trusted}: pass the daemon's certificate with --cacert (its <data-dir>/tls/cert.pem) or set SIGMA_CACERT`,
    );
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL')) {
    return new CliError(EXIT.unreachable, `no TLS handshake with ${at} (${code}): if the daemon serves plain HTTP (--no-tls), use an http:// URL`);
  }
  if (code === 'ECONNRESET' || code.startsWith('HPE_')) {
    return new CliError(EXIT.unreachable, `${at} closed the connection or answered something that is not HTTP (${code}): check the URL and its scheme (https:// or http://)`);
  }
  return new CliError(
    EXIT.unreachable,
    `cannot reach the daemon at ${at} (${code || error.message}): ${START_HINT}, or pass --url (or SIGMA_URL) with its address`,
  );
}

/** How the daemon's HTTPS port answers a plain-HTTP request (api/plainHttpRefusal.ts): a wrong URL, not a bad request. */
const PLAIN_HTTP_REFUSAL = 'this port speaks HTTPS, not plain HTTP';

/** Refused because a partition token reaches only its own partition (and never the node-wide routes). */
export const OUT_OF_SCOPE_CODE = 'SIGMA_ERR_OUT_OF_SCOPE';

/**
 * An answer with an error status: sigma's errors are JSON {statusCode, code, error, message}.
 * `tokenPartition`: for an out-of-scope refusal, the partition the token is for, when known.
 */
export function replyFailure(method: string, path: string, status: number, text: string, tokenPartition: string | null = null): CliError {
  const { code, message } = errorBody(text);
  if (status === 400 && message?.startsWith(PLAIN_HTTP_REFUSAL)) {
    return new CliError(EXIT.unreachable, `${message} (${code ?? 'HTTP 400'}): pass --url (or SIGMA_URL) with https://`);
  }
  if (status === 401) {
    return new CliError(
      EXIT.unauthorized,
      `the daemon refused the token${code ? ` (${code})` : ''}: pass the node token or a partition token with --token or SIGMA_TOKEN (the daemon keeps the node token in <data-dir>/token)`,
    );
  }
  if (code === OUT_OF_SCOPE_CODE) {
    const whose = tokenPartition === null ? 'this token is a partition token' : `this token is for partition ${tokenPartition}`;
    const why = message ?? `it may not ${method} ${path.split('?')[0]}`;
    const hint = /node token/.test(why) ? '' : ': a partition token reaches only its own partition; use the node token for this';
    return new CliError(EXIT.unauthorized, `${whose}: ${why}${hint} (${OUT_OF_SCOPE_CODE})`);
  }
  if (code === 'SIGMA_ERR_PROCESS_NOT_FOUND') {
    return new CliError(EXIT.notFound, `${message ?? 'no such process'}: \`sigma ps\` lists the processes`);
  }
  if (code === 'SIGMA_ERR_PARTITION_NOT_EMPTY') {
    const partition = decodeURIComponent(path.split('?')[0]?.split('/')[2] ?? '');
    return new CliError(EXIT.apiError, `${message ?? 'the partition has processes'} (${code}); \`sigma ps --partition ${partition}\` lists them`);
  }
  if (code === 'SIGMA_ERR_PARTITION_NOT_FOUND') {
    return new CliError(EXIT.notFound, `${message ?? 'no such partition'}: \`sigma partition ls\` lists the partitions`);
  }
  if ((status === 404 && (code === 'SIGMA_ERR_ROUTE_NOT_FOUND' || code === null)) || code === 'SIGMA_ERR_METHOD_NOT_ALLOWED') {
    return new CliError(EXIT.apiError, `the daemon does not serve ${method} ${path.split('?')[0]}: it may be an older sigma; update it`);
  }
  const detail = message ?? (text.trim().split('\n')[0] || `HTTP ${status}`);
  return new CliError(EXIT.apiError, `${detail} (${code ?? `HTTP ${status}`})`);
}

/** The `code` of an error answer, or null. */
export function errorCodeOf(text: string): string | null {
  return errorBody(text).code;
}

function errorBody(text: string): { code: string | null; message: string | null } {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      code: typeof parsed.code === 'string' ? parsed.code : null,
      message: typeof parsed.message === 'string' ? parsed.message : null,
    };
  } catch {
    return { code: null, message: null };
  }
}
