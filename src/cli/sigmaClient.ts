// The client's only way to the daemon: HTTP(S) requests, with the token, trusting exactly the
// configured certificate. Failures come out as CliErrors with their exit status.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, EXIT } from './cliExit.js';
import type { ClientConfig } from './clientConfig.js';
import { connectionFailure, errorCodeOf, OUT_OF_SCOPE_CODE, replyFailure } from './httpFailure.js';

/** Long enough for a busy node; only the connection is timed, never the answer (a STOP may take its grace). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface StreamHandle {
  response: IncomingMessage;
  /** Ends the request (and the streamed answer). */
  close(): void;
}

export class SigmaClient {
  constructor(readonly config: ClientConfig) {}

  /** Sends a request and returns the parsed JSON answer (undefined for an empty one, as on 204). */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { response } = await this.send(method, path, body, { accept: 'application/json' });
    const text = await readAll(response);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(EXIT.apiError, `${method} ${path} answered something that is not JSON: is ${this.config.url.origin} a sigma daemon?`);
    }
  }

  /** Opens a streamed answer (logs, events); an error status is read and thrown. */
  async stream(path: string, headers: OutgoingHttpHeaders = {}): Promise<StreamHandle> {
    return this.send('GET', path, undefined, headers);
  }

  /** The partition a partition token is for: GET /partitions shows such a token its own alone. Null if unknown. */
  private async tokenPartition(): Promise<string | null> {
    try {
      const { partitions } = await this.json<{ partitions: Array<{ name: string }> }>('GET', '/partitions');
      return partitions.length === 1 ? (partitions[0]?.name ?? null) : null;
    } catch {
      return null;
    }
  }

  private send(method: string, path: string, body: unknown, headers: OutgoingHttpHeaders): Promise<StreamHandle> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.config.url);
    const allHeaders: OutgoingHttpHeaders = {
      ...headers,
      authorization: `Bearer ${this.config.token}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    };
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method,
        headers: allHeaders,
        // No shared keep-alive agent: the command ends as soon as its answers are read.
        agent: false,
        ...(secure && this.config.ca ? { ca: this.config.ca } : {}),
      });
      const connectTimer = setTimeout(() => req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      req.once('socket', (socket) => socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
      let answered = false;
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (!answered) reject(connectionFailure(error, this.config));
      });
      req.on('response', (response) => {
        answered = true;
        clearTimeout(connectTimer);
        const status = response.statusCode ?? 0;
        const close = (): void => {
          req.destroy();
        };
        if (status >= 200 && status < 300) {
          resolve({ response, close });
          return;
        }
        readAll(response).then(
          async (text) => {
            const tokenPartition = status === 403 && errorCodeOf(text) === OUT_OF_SCOPE_CODE ? await this.tokenPartition() : null;
            reject(replyFailure(method, path, status, text, tokenPartition));
          },
          () => reject(replyFailure(method, path, status, '')),
        );
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
    response.on('aborted', () => reject(new CliError(EXIT.unreachable, 'the daemon closed the connection before its answer was complete: try again')));
  });
}
