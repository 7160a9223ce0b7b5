// One client of the API: its own keep-alive connection (an agent with one socket), the node
// token, the daemon's certificate as the only trusted CA, and the time each request took.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface ApiTarget {
  readonly url: string;
  readonly token: string;
  /** The daemon's generated certificate; null over plain HTTP. */
  readonly ca: Buffer | null;
}

export interface ApiReply {
  readonly status: number;
  readonly text: string;
  readonly latencyMs: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class ApiClient {
  private readonly agent: HttpAgent;
  private readonly base: URL;

  constructor(private readonly target: ApiTarget) {
    this.base = new URL(target.url);
    this.agent = target.ca
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: target.ca, minVersion: 'TLSv1.2' })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Resolves with any status; rejects only when no answer came (refused, reset, timed out). */
  request(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.token}` };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const send = this.target.ca ? httpsRequest : httpRequest;
    const startMs = performance.now();
    return new Promise((resolve, reject) => {
      const req = send(
        new URL(path, this.base),
        { method, headers, agent: this.agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), latencyMs: performance.now() - startMs }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
